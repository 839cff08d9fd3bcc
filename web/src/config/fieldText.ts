// A setting's label and help in the console's language. The server's field catalogue is in
// English; the French comes from fr.json by setting key, the server's words otherwise.
import i18next from '../i18n';

interface Described {
  key: string;
  label: string;
  help: string;
}

export const fieldLabel = (f: Pick<Described, 'key' | 'label'>): string => i18next.t(`fields.${f.key}.label`, { defaultValue: f.label });
export const fieldHelp = (f: Pick<Described, 'key' | 'help'>): string => i18next.t(`fields.${f.key}.help`, { defaultValue: f.help });
