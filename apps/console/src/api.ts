import { useCallback, useEffect, useState } from 'react';
import { opsClient, type components } from '@fg/api-client';

export type Schemas = components['schemas'];
export type Ops = ReturnType<typeof opsClient>;

const KEY = 'fg.console.apiKey';

/** The API key of this browser tab (sessionStorage: gone when the tab closes). */
export const session = {
  key: () => sessionStorage.getItem(KEY),
  signIn: (key: string) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};

/** The typed ops client (generated from the gateway's OpenAPI document) on this origin, with the tab's key. */
export function ops(key = session.key() ?? ''): Ops {
  return opsClient(window.location.origin, key);
}

/** Our error body: `{ error: { code, message, details: { fields: [{ field, message }] } } }`. */
export interface ApiProblem {
  status: number;
  code: string;
  message: string;
  fields: { field: string; message: string }[];
}

/** An API problem as a thrown error. */
export class ProblemError extends Error implements ApiProblem {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: ApiProblem['fields'],
  ) {
    super(message);
  }
}

export function problemOf(error: unknown, status = 0): ProblemError {
  const e = (error as { error?: { code?: string; message?: string; details?: { fields?: unknown } } })?.error;
  const fields = Array.isArray(e?.details?.fields) ? (e.details.fields as ApiProblem['fields']) : [];
  return new ProblemError(
    status,
    e?.code ?? 'ERROR',
    e?.message ?? (error instanceof Error ? error.message : 'the request failed'),
    fields,
  );
}

type Result<T> = { data?: T; error?: unknown; response: Response };

/** Unwraps an openapi-fetch answer: the data, or throws the API's problem. */
export async function call<T>(p: Promise<Result<T>>): Promise<T> {
  const r = await p;
  if (r.error !== undefined || !r.response.ok) throw problemOf(r.error, r.response.status);
  return r.data as T;
}

export interface Loaded<T> {
  data: T | undefined;
  error: ApiProblem | undefined;
  loading: boolean;
  reload: () => void;
}

/** Loads on mount and whenever `deps` change; `reload()` loads again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiProblem; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(load, deps);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    run().then(
      (data) => live && setState({ data, loading: false }),
      (e: unknown) => live && setState({ error: asProblem(e), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [run, tick]);
  return {
    data: state.data,
    error: state.error,
    loading: state.loading,
    reload: () => setTick((t) => t + 1),
  };
}

export const isProblem = (e: unknown): e is ApiProblem =>
  typeof e === 'object' && e !== null && 'code' in e && 'fields' in e;

/** Whatever a call threw, as an API problem to show. */
export const asProblem = (e: unknown): ApiProblem => (isProblem(e) ? e : problemOf(e));

/** Field errors of a 400, by path (`conditions.all.1.value`). */
export const fieldErrors = (p: ApiProblem | undefined): Map<string, string> =>
  new Map((p?.fields ?? []).map((f) => [f.field, f.message]));
