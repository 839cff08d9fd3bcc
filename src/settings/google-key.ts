// The Google Workspace service account credential: the JSON key file as Google issues it
// (IAM & Admin > Service accounts > Keys > Add key > JSON). Read here for the checks and the screen.
import crypto from 'node:crypto';

export interface GoogleServiceAccountKey {
  clientEmail: string;
  /** The numeric client ID that domain-wide delegation is granted to in the Admin console. */
  clientId: string;
  /** private_key_id: the JWT's `kid`, and what the Cloud console lists under Keys. */
  keyId: string;
  privateKey: crypto.KeyObject;
}

/** Reads the key file's text; throws an Error whose message says what is wrong (never the key itself). */
export function readGoogleServiceAccountKey(text: string): GoogleServiceAccountKey {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('is not JSON: paste the whole key file Google gave you (it starts with {"type": "service_account")');
  }
  const k = (json ?? {}) as Record<string, unknown>;
  if (k.type !== 'service_account') throw new Error('is not a service account key ("type" is not "service_account"): create a JSON key under IAM & Admin > Service accounts > Keys');
  const missing = ['client_email', 'client_id', 'private_key_id', 'private_key'].filter((f) => typeof k[f] !== 'string' || k[f] === '');
  if (missing.length) throw new Error(`lacks ${missing.join(', ')}: paste the whole key file`);
  let privateKey: crypto.KeyObject;
  try {
    privateKey = crypto.createPrivateKey(String(k.private_key));
  } catch {
    throw new Error('holds a private_key that cannot be read');
  }
  if (privateKey.asymmetricKeyType !== 'rsa') throw new Error('holds a non-RSA private_key: Google signs service account tokens with RS256');
  const clientEmail = String(k.client_email);
  if (!/^[^@\s]+@[^@\s]+$/.test(clientEmail)) throw new Error('holds a client_email that is not an address');
  if (!/^\d{1,30}$/.test(String(k.client_id))) throw new Error('holds a client_id that is not the numeric ID Google gives');
  return { clientEmail, clientId: String(k.client_id), keyId: String(k.private_key_id), privateKey };
}

/** Why the text is not a usable service account key, or null. */
export function googleKeyProblem(text: string): string | null {
  try {
    readGoogleServiceAccountKey(text);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** What the screen shows of a stored key: whose it is and which key, never the key. */
export const describeGoogleKey = (k: GoogleServiceAccountKey): string => `${k.clientEmail} (client ID ${k.clientId}, key ${k.keyId.slice(0, 12)})`;
