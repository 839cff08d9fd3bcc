// What the Microsoft identity platform's AADSTS error codes mean for an administrator, and
// whether waiting could help. Codes from Microsoft's "Microsoft Entra authentication and
// authorization error codes" reference.

interface Meaning {
  advice: string;
  /** True when a later try may succeed without anyone changing a setting. */
  transient: boolean;
}

const MEANINGS: Record<number, Meaning> = {
  90002: { advice: 'the tenant was not found: check Tenant ID (Directory (tenant) ID on the app registration overview)', transient: false },
  900023: { advice: 'the Tenant ID is not a valid tenant GUID or domain', transient: false },
  700016: { advice: 'the application was not found in this tenant: check Client ID (Application (client) ID), and that the app is registered in this tenant', transient: false },
  7000215: { advice: 'the client secret is wrong: paste the secret\'s Value, not its Secret ID', transient: false },
  7000222: { advice: 'the client secret has expired: create a new one in Certificates & secrets and paste its Value here', transient: false },
  65001: { advice: 'admin consent is missing: grant admin consent for the API permissions of the app registration', transient: false },
  500011: { advice: 'the resource is not in this tenant (is Exchange Online licensed?)', transient: false },
  70011: { advice: 'the scope is not valid for this application', transient: false },
  1002012: { advice: 'the scope is not valid for this application', transient: false },
  50012: { advice: 'the client credentials were refused', transient: false },
  7000112: { advice: 'the application is disabled in this tenant', transient: false },
  90033: { advice: 'the Microsoft identity platform is unavailable for a moment', transient: true },
  50196: { advice: 'too many identical requests to the Microsoft identity platform', transient: true },
};

export interface AadstsReading {
  code: number | null;
  message: string;
  transient: boolean;
}

/** Reads "AADSTS7000215: Invalid client secret provided…" (or error_codes) into advice. */
export function readAadsts(description: string, codes?: number[]): AadstsReading {
  const fromText = /AADSTS(\d+)/.exec(description)?.[1];
  const code = codes?.[0] ?? (fromText ? Number(fromText) : null);
  const firstLine = description.split(/\r?\n/)[0]?.trim() ?? description;
  const meaning = code === null ? undefined : MEANINGS[code];
  if (!meaning) return { code, message: firstLine || 'the token request was refused', transient: false };
  return { code, message: `${meaning.advice} (AADSTS${code})`, transient: meaning.transient };
}
