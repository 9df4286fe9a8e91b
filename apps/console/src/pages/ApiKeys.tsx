import { useState, type FormEvent } from 'react';
import { asProblem, call, fieldErrors, ops, useLoad, type ApiProblem, type Schemas } from '../api';
import { useMe } from '../App';
import { Badge, Loading, Page, Problem, Table, TextField, when } from '../ui';

type Permission = Schemas['ApiKeyInput']['permissions'][number];

/** API keys: create (the secret is shown once), rotate, revoke. */
export function ApiKeys() {
  const me = useMe();
  const keys = useLoad(() => call(ops().GET('/ops/api-keys')), []);
  const [name, setName] = useState('');
  const [permissions, setPermissions] = useState<Permission[]>(['distribution:view']);
  const [secret, setSecret] = useState<{ name: string; key: string }>();
  const [problem, setProblem] = useState<ApiProblem>();
  const errors = fieldErrors(problem);
  const fail = (e: unknown) => setProblem(asProblem(e));
  const shown = (k: Schemas['ApiKeyWithSecret']) => {
    setSecret({ name: k.name, key: k.key });
    setProblem(undefined);
    keys.reload();
  };
  const create = (e: FormEvent) => {
    e.preventDefault();
    call(ops().POST('/ops/api-keys', { body: { name, permissions } })).then(shown, fail);
  };
  return (
    <Page title="API keys">
      <Problem problem={problem ?? keys.error} />
      {secret && (
        <div className="secret" role="status">
          <p>
            The secret of <strong>{secret.name}</strong> — copy it now, it is never shown again:
          </p>
          <code data-testid="new-secret">{secret.key}</code>
          <button type="button" onClick={() => void navigator.clipboard?.writeText(secret.key)}>
            Copy
          </button>
          <button type="button" onClick={() => setSecret(undefined)}>
            Done
          </button>
        </div>
      )}
      <form className="form card" aria-label="New API key" onSubmit={create}>
        <TextField label="Name" value={name} onChange={setName} error={errors.get('name')} />
        <fieldset className={`checks${errors.get('permissions') ? ' invalid' : ''}`}>
          <legend>Permissions (at most the ones this key holds)</legend>
          {me.permissions.map((p) => (
            <label key={p} className="check">
              <input
                type="checkbox"
                checked={permissions.includes(p)}
                onChange={(e) =>
                  setPermissions(e.target.checked ? [...permissions, p] : permissions.filter((x) => x !== p))
                }
              />
              {p}
            </label>
          ))}
          {errors.get('permissions') && <small className="error">{errors.get('permissions')}</small>}
        </fieldset>
        <button type="submit" className="primary" disabled={!name}>
          Create key
        </button>
      </form>
      {!keys.data && keys.loading && <Loading what="keys" />}
      {keys.data && (
        <Table caption="API keys" head={['Name', 'Prefix', 'Permissions', 'Status', 'Last used', '']}>
          {keys.data.map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              <td>
                <code>{k.prefix}…</code>
              </td>
              <td className="clip">{k.permissions.join(', ')}</td>
              <td>
                <Badge value={k.status} />
              </td>
              <td>{when(k.lastUsedAt)}</td>
              <td>
                {k.status === 'active' && k.id !== me.keyId && (
                  <span className="actions">
                    <button
                      type="button"
                      onClick={() =>
                        void call(
                          ops().POST('/ops/api-keys/{id}/rotate', { params: { path: { id: k.id } } }),
                        ).then(shown, fail)
                      }
                    >
                      Rotate
                    </button>
                    <button
                      type="button"
                      onClick={() =>
                        void call(
                          ops().POST('/ops/api-keys/{id}/revoke', { params: { path: { id: k.id } } }),
                        ).then(() => keys.reload(), fail)
                      }
                    >
                      Revoke
                    </button>
                  </span>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </Page>
  );
}
