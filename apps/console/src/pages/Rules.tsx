import { Link } from 'react-router-dom';
import { call, ops, useLoad } from '../api';
import { Loading, Page, Problem, Table, when } from '../ui';

/** Rules with their trigger, version and an enable/disable switch. */
export function Rules() {
  const rules = useLoad(() => call(ops().GET('/ops/rules')), []);
  const toggle = async (id: string, enabled: boolean) => {
    const path = { params: { path: { id } } };
    await call(
      enabled ? ops().POST('/ops/rules/{id}/disable', path) : ops().POST('/ops/rules/{id}/enable', path),
    );
    rules.reload();
  };
  return (
    <Page
      title="Rules"
      actions={
        <Link className="button primary" to="/rules/new">
          New rule
        </Link>
      }
    >
      <Problem problem={rules.error} />
      {!rules.data && rules.loading && <Loading what="rules" />}
      {rules.data && (
        <Table
          caption="Rules"
          head={['Name', 'Trigger', 'Priority', 'Version', 'Updated', 'Enabled']}
          empty={!rules.data.length}
        >
          {rules.data.map((r) => (
            <tr key={r.id}>
              <td>
                <Link to={`/rules/${r.id}`}>{r.name}</Link>
              </td>
              <td>{r.trigger}</td>
              <td>{r.priority}</td>
              <td>v{r.version}</td>
              <td>{when(r.updatedAt)}</td>
              <td>
                <label className="switch">
                  <input
                    type="checkbox"
                    role="switch"
                    checked={r.enabled}
                    onChange={() => void toggle(r.id, r.enabled)}
                    aria-label={`${r.name} enabled`}
                  />
                  {r.enabled ? 'On' : 'Off'}
                </label>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </Page>
  );
}
