/**
 * Who may read an app's operator surfaces (`/metrics`, `/docs`) on its HTTP port. The gateway provides it (API
 * keys); apps without one serve those paths openly, since their port is internal (see the README's security).
 */
export interface OpsSurfaceAuth {
  /** Null when the request may read `surface`; otherwise the status and message to answer with. */
  check(
    authorization: string | undefined,
    surface: 'metrics' | 'docs',
  ): Promise<{ status: 401 | 403; message: string } | null>;
}

export const OPS_SURFACE_AUTH = Symbol('OPS_SURFACE_AUTH');
