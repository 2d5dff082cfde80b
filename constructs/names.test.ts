import { describe, expect, it } from 'vitest';
import { isDns1035Label, isDnsLabel, isDnsSubdomain, isLabelKey, nameBudget, show } from './names';

describe('names', () => {
  it('accepts DNS-1123 labels and rejects everything else', () => {
    expect(isDnsLabel('team-a')).toBe(true);
    expect(isDnsLabel('0team')).toBe(true);
    expect(isDnsLabel('a'.repeat(63))).toBe(true);
    for (const bad of ['', 'Team', 'team_a', 'team.a', '-team', 'team-', 'a'.repeat(64), 'tëam']) {
      expect(isDnsLabel(bad), bad).toBe(false);
    }
  });

  it('applies a shorter budget when given', () => {
    expect(isDnsLabel('a'.repeat(51), 51)).toBe(true);
    expect(isDnsLabel('a'.repeat(52), 51)).toBe(false);
  });

  it('requires DNS-1035 labels to start with a letter', () => {
    expect(isDns1035Label('db1')).toBe(true);
    expect(isDns1035Label('1db')).toBe(false);
  });

  it('accepts label keys with an optional DNS prefix, as apimachinery does', () => {
    for (const ok of ['owner', 'platform.example.org/owner', 'a/B_c.d-e', `x/${'a'.repeat(63)}`]) {
      expect(isLabelKey(ok), ok).toBe(true);
    }
    for (const bad of [
      '',
      '/owner',
      'Ex.org/owner',
      'a/-b',
      "a'b/c",
      'a b',
      `x/${'a'.repeat(64)}`,
    ]) {
      expect(isLabelKey(bad), bad).toBe(false);
    }
  });

  it('accepts DNS subdomains', () => {
    expect(isDnsSubdomain('platform.example.org')).toBe(true);
    expect(isDnsSubdomain('Platform.example.org')).toBe(false);
    expect(isDnsSubdomain('a..b')).toBe(false);
  });

  it('computes the name budget from the longest suffix', () => {
    expect(nameBudget(['-data', '-credentials'])).toBe(63 - '-credentials'.length);
    expect(nameBudget([])).toBe(63);
  });

  it('shows values so that empty strings are visible', () => {
    expect(show('')).toBe('""');
    expect(show(undefined)).toBe('undefined');
  });
});
