/** How an abort with rollback reads in a terminal: what went, what stayed because it was public, what failed. */
import type { RollbackItem, RollbackReport } from '@relforge/release';

function printItems(heading: string, items: RollbackItem[]): void {
  console.log(`${heading} (${items.length}):`);
  if (items.length === 0) console.log('  (none)');
  for (const item of items) console.log(`  - ${item.what}${item.why ? `\n      ${item.why}` : ''}`);
}

export function printRollback(title: string, report: RollbackReport): void {
  console.log(`rolled back ${title}`);
  printItems('removed, never public', report.removed);
  printItems('kept, public', report.kept);
  if (report.failed?.length) {
    printItems('could not be undone (remove these by hand)', report.failed);
  }
}
