/**
 * What a Lambda bundle carries in place of the SDK's profile-based credential sources (shared config and
 * credentials files, SSO, `credential_process`, a web identity token file). The build (infra/bundles.mjs) points
 * the default credential chain's lazy imports of `@aws-sdk/credential-provider-{ini,sso,process,web-identity}` here,
 * so their code, and the STS, SSO and SSO-OIDC clients they bring (about 90 KiB), stay out of the bundle.
 *
 * The chain itself is unchanged: environment variables first, then these four, then the container and instance metadata
 * endpoints, in the SDK's order. On Lambda the execution role's credentials are in the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), so the chain stops at the first link and never gets here. When it does get
 * here (no environment credentials, or AWS_PROFILE set), the real source is imported at run time from node_modules: a
 * bundle run from this repository (dist/) keeps AWS_PROFILE, SSO and the rest. Where no node_modules has it — a
 * deployed bundle — the link says "try the next one", exactly what the real source says when there is no profile, no
 * config file and no token file to use, as on Lambda.
 */

type Provider = (properties?: unknown) => Promise<unknown>;
type Factory = (init?: unknown) => Provider;

/** The error the SDK's chain skips (`tryNextLink`), as the real sources throw when they have nothing to use. */
function unavailable(name: string, cause: unknown): Error {
  return Object.assign(
    new Error(`${name} is not bundled and is not installed next to the bundle; trying the next credential source`, {
      cause,
    }),
    { name: 'CredentialsProviderError', tryNextLink: true },
  );
}

/** The real source, imported on first use from wherever Node resolves the package from the bundle's location. */
function onDemand(name: string, exportName: string): Factory {
  return (init) => async (properties) => {
    let mod: Record<string, Factory>;
    try {
      // A variable specifier: esbuild leaves the import to run time instead of bundling the package.
      mod = (await import(name)) as Record<string, Factory>;
    } catch (err) {
      if ((err as { code?: unknown })?.code === 'ERR_MODULE_NOT_FOUND') throw unavailable(name, err);
      throw err;
    }
    const factory = mod[exportName];
    if (typeof factory !== 'function') throw new Error(`${name} has no export ${exportName}`);
    return factory(init)(properties);
  };
}

export const fromIni = onDemand('@aws-sdk/credential-provider-ini', 'fromIni');
export const fromSSO = onDemand('@aws-sdk/credential-provider-sso', 'fromSSO');
export const fromProcess = onDemand('@aws-sdk/credential-provider-process', 'fromProcess');
export const fromTokenFile = onDemand('@aws-sdk/credential-provider-web-identity', 'fromTokenFile');
