import { Link } from 'react-router-dom';
import { call, ops, useLoad } from '../api';
import { can, useMe } from '../App';
import { Badge, Loading, Page, Problem, Table, when } from '../ui';

export function Distributions() {
  const me = useMe();
  const list = useLoad(async () => {
    const [distributions, surveys] = await Promise.all([
      call(ops().GET('/ops/distributions')),
      call(ops().GET('/ops/surveys')),
    ]);
    return { distributions, surveys: new Map(surveys.map((s) => [s.id, s])) };
  }, []);
  return (
    <Page
      title="Distributions"
      actions={
        can(me, 'distribution:edit') && (
          <Link className="button primary" to="/distributions/new">
            New distribution
          </Link>
        )
      }
    >
      <Problem problem={list.error} />
      {list.loading && !list.data && <Loading what="distributions" />}
      {list.data && (
        <Table
          caption="Distributions"
          head={['Name', 'Survey', 'Status', 'Why', 'Channels', 'Created']}
          empty={!list.data.distributions.length}
        >
          {list.data.distributions.map((d) => {
            const survey = list.data!.surveys.get(d.surveyId);
            const status = survey?.status === 'closed' ? 'closed' : d.status;
            return (
              <tr key={d.id}>
                <td>
                  <Link to={`/distributions/${d.id}`}>{d.name}</Link>
                </td>
                <td>{survey?.name ?? d.surveyId}</td>
                <td>
                  <Badge value={status} />
                </td>
                <td className="muted">
                  {survey?.status === 'closed' ? 'the survey is closed' : d.activation}
                </td>
                <td>{Object.keys(d.accounts).join(', ') || '—'}</td>
                <td>{when(d.createdAt)}</td>
              </tr>
            );
          })}
        </Table>
      )}
    </Page>
  );
}
