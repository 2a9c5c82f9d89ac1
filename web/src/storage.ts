// localStorage wrapper that never throws (storage can be disabled or full).
// Only non-secret preferences are stored: display name, device choices and
// camera/mic on-off. Passcodes are never stored.

const PREFIX = 'conclave.';

export function load(key: string): string | null {
  try {
    return window.localStorage.getItem(PREFIX + key);
  } catch {
    return null;
  }
}

export function save(key: string, value: string): void {
  try {
    window.localStorage.setItem(PREFIX + key, value);
  } catch {
    // ignore
  }
}

export function loadBool(key: string, fallback: boolean): boolean {
  const v = load(key);
  return v === null ? fallback : v === '1';
}

export function saveBool(key: string, value: boolean): void {
  save(key, value ? '1' : '0');
}
