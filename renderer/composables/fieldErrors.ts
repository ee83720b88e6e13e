/**
 * Form errors next to the field that caused them, saying why. The rules are
 * the contract's own schemas (shared/ipc: what the core would refuse), so the
 * form and the core can never disagree; errors the server answers about one
 * field (a taken username, no such user) are placed by `fieldOfError`.
 */
import { reactive } from 'vue';
import { useI18n } from 'vue-i18n';
import type { z } from 'zod';
import { methodSchemas } from '../../shared/ipc';

/** A translation key and its parameters. */
export interface FieldProblem {
  key: string;
  params?: Record<string, string | number>;
}

/** The contract's rules for the fields of the app's forms. */
export const fieldRules = {
  username: methodSchemas.register.shape.username,
  password: methodSchemas.register.shape.password,
  nickname: methodSchemas.register.shape.nickname.unwrap(),
  groupName: methodSchemas.createGroup.shape.name,
} satisfies Record<string, z.ZodType>;
export type FieldName = keyof typeof fieldRules;

/** Why `value` breaks the field's rule, or null when it is fine. */
export function fieldProblem(field: FieldName, value: string): FieldProblem | null {
  if (value === '') return { key: 'forms.required' };
  const parsed = fieldRules[field].safeParse(value);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0]!;
  switch (issue.code) {
    case 'too_small': return { key: 'forms.tooShort', params: { n: Number(issue.minimum) } };
    case 'too_big': return { key: 'forms.tooLong', params: { n: Number(issue.maximum) } };
    case 'invalid_format': return { key: `forms.format.${field}` };
    default: return { key: 'forms.invalid' };
  }
}

/** Server answers that are about one field of a form (the rest stay the form's own error). */
const errorFields: Record<string, FieldName> = {
  USERNAME_TAKEN: 'username',
};

export function fieldOfError(code: string | null | undefined): FieldName | undefined {
  return errorFields[(code ?? '').replace(/^RESULT_CODE_/, '')];
}

/**
 * One form's field errors: `check` a field against its rule, `set` one from
 * the server's answer, `text` the translated sentence, which names the field
 * by its label ("Username must be at least 3 characters.").
 */
export function useFieldErrors<F extends string>(labels: Record<F, string>) {
  const { t } = useI18n();
  const problems = reactive(new Map<F, FieldProblem>());

  function set(field: F, problem: FieldProblem | null): void {
    if (problem) problems.set(field, problem);
    else problems.delete(field);
  }
  function check(field: F, rule: FieldName, value: string): boolean {
    const problem = fieldProblem(rule, value);
    set(field, problem);
    return problem === null;
  }
  function text(field: F): string {
    const p = problems.get(field);
    return p ? t(p.key, { field: t(labels[field]), ...p.params }) : '';
  }
  return { set, check, text, has: (field: F) => problems.has(field), clear: () => problems.clear() };
}
