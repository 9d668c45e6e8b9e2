/** Messages shaped to make a careless matcher backtrack: the filter test checks their verdicts, bench/filter.ts times them. */
export const HOSTILE_INPUTS = ['a'.repeat(1000), 'a '.repeat(500), '1 '.repeat(500), '@'.repeat(1000), 'f.'.repeat(500), 'my '.repeat(333), 'www.'.repeat(250), 'w'.repeat(1000), 'wor '.repeat(250)];
