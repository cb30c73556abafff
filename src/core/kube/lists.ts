/** The small list helpers the model's readers share. */

export function addUnique(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

/** Whether a list that may not exist yet holds `value`. */
export function listHas(list: readonly string[] | null, value: string): boolean {
  return list !== null && list.includes(value);
}

/** What a list that no rule added to is in the model: one frozen empty array for all. */
export const EMPTY: readonly never[] = Object.freeze([]);

export function unique(list: readonly string[]): string[] {
  return list.length <= 1 ? [...list] : [...new Set(list)];
}
