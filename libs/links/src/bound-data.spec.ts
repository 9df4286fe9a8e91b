import { boundData } from './bound-data';

const dist = { tags: { program: 'csat' } };

describe('boundData', () => {
  it('binds a case: its fields, the tags and the customer fields every template may use', () => {
    expect(
      boundData(
        {
          caseId: 'CASE-1',
          caseNumber: '1001',
          fields: { status: 'Resolved' },
          customFields: { tier: 'gold' },
          contact: {
            id: 'crm-1',
            name: 'Ada King Lovelace',
            email: 'ada@example.com',
            attributes: { plan: 'pro' },
          },
        },
        dist,
      ),
    ).toEqual({
      tier: 'gold',
      status: 'Resolved',
      program: 'csat',
      case_id: 'CASE-1',
      case_number: '1001',
      customer_name: 'Ada King Lovelace',
      customer_first_name: 'Ada',
      customer_last_name: 'King Lovelace',
      customer_email: 'ada@example.com',
      customer_phone: null,
      customer_id: 'crm-1',
      profile_plan: 'pro',
    });
  });

  it('binds a contact the same way, with the caller’s data; the customer fields win over look-alike keys', () => {
    expect(
      boundData(
        { contact: { id: 'crm-2', firstName: 'Grace', lastName: 'Hopper', phone: '+14155550100' } },
        dist,
        { order_id: 'A-1', customer_name: 'spoofed' },
      ),
    ).toEqual({
      order_id: 'A-1',
      program: 'csat',
      customer_name: 'Grace Hopper',
      customer_first_name: 'Grace',
      customer_last_name: 'Hopper',
      customer_email: null,
      customer_phone: '+14155550100',
      customer_id: 'crm-2',
    });
  });
});
