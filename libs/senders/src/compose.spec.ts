import { smsSegments } from './compose';

describe('SMS segments', () => {
  it.each([
    ['a'.repeat(160), 'GSM-7', 1],
    ['a'.repeat(161), 'GSM-7', 2],
    ['€'.repeat(80), 'GSM-7', 1], // extension characters count twice
    ['a'.repeat(306), 'GSM-7', 2],
    ['a'.repeat(307), 'GSM-7', 3],
    ['é'.repeat(70), 'GSM-7', 1],
    ['ł'.repeat(70), 'UCS-2', 1],
    ['ł'.repeat(71), 'UCS-2', 2],
    ['Merci 🙏', 'UCS-2', 1],
  ])('%s… → %s, %i segment(s)', (body, encoding, segments) => {
    expect(smsSegments(body)).toMatchObject({ encoding, segments });
  });
});
