/**
 * `pnpm bench`: digestFile (SHA-256 and SHA-512) against coreutils `sha256sum` alone on the same 1 GiB file, and
 * digestFile's peak memory on a 10 MiB and a 1 GiB file. It reports and always exits 0: tests assert, benchmarks
 * report, and a missed goal is marked in the table.
 */
import { randomBytes } from 'node:crypto';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { digestFile } from './digest.js';

const MiB = 1024 * 1024;
const runs = 3;
const throughputGoal = 0.9;
const rssLimitMiB = 128;
/** Peak RSS may differ this much between the two file sizes and still count as flat: allocator noise, not growth. */
const flatToleranceMiB = 8;

async function writeFileOf(path: string, sizeMiB: number): Promise<void> {
  // One random block repeated: incompressible enough for a hash, and quick to write.
  const block = randomBytes(MiB);
  const file = await open(path, 'w');
  try {
    for (let i = 0; i < sizeMiB; i++) await file.write(block);
  } finally {
    await file.close();
  }
}

async function seconds(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return (performance.now() - start) / 1000;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function sha256sum(path: string): Promise<string> {
  const { stdout } = await promisify(execFile)('sha256sum', [path], { encoding: 'utf8' });
  return stdout.slice(0, 64);
}

/** A fresh process per file, so one measurement's heap never shows in the other's peak. */
function peakRssMiB(path: string): number {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), 'peak-rss', path], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`the peak-RSS child failed on ${path}:\n${child.stderr}`);
  return Number(child.stdout.trim()) / 1024;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows
    .map((row) => `  ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('   ')}`.trimEnd())
    .join('\n');
}

const verdict = (met: boolean) => (met ? 'met' : 'MISSED');

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'relforge-checksum-bench-'));
  try {
    const small = join(dir, '10MiB.bin');
    const large = join(dir, '1GiB.bin');
    await writeFileOf(small, 10);
    await writeFileOf(large, 1024);

    // Untimed first read: the page cache holds the file afterwards, so both tools read from memory, not disk.
    const { sha256 } = await digestFile(large);
    if ((await sha256sum(large)) !== sha256) throw new Error('digestFile and sha256sum disagree on the benchmark file');

    // Interleaved, so that load from other processes on the machine falls on both tools alike.
    const coreutilsTimes: number[] = [];
    const digestTimes: number[] = [];
    for (let run = 0; run < runs; run++) {
      coreutilsTimes.push(await seconds(() => sha256sum(large)));
      digestTimes.push(await seconds(() => digestFile(large)));
    }
    const coreutils = 1024 / median(coreutilsTimes);
    const both = 1024 / median(digestTimes);
    const ratio = both / coreutils;

    const rssSmall = peakRssMiB(small);
    const rssLarge = peakRssMiB(large);
    const flat = Math.abs(rssLarge - rssSmall) <= flatToleranceMiB;
    const underLimit = rssSmall < rssLimitMiB && rssLarge < rssLimitMiB;

    const times = (values: number[]) => values.map((value) => value.toFixed(2)).join(' / ');
    console.log(`@relforge/checksum: 1 GiB file, page cache warm, median of ${runs} interleaved runs\n`);
    console.log(
      table([
        ['measure', 'result', 'runs (s)', 'goal', ''],
        ['sha256sum alone (coreutils)', `${coreutils.toFixed(0)} MiB/s`, times(coreutilsTimes), '', ''],
        ['digestFile, sha256 + sha512', `${both.toFixed(0)} MiB/s`, times(digestTimes), '', ''],
        [
          'digestFile / sha256sum',
          ratio.toFixed(2),
          '',
          `>= ${throughputGoal.toFixed(2)}`,
          verdict(ratio >= throughputGoal),
        ],
        [
          'peak RSS, digestFile, 10 MiB',
          `${rssSmall.toFixed(0)} MiB`,
          '',
          `< ${rssLimitMiB} MiB`,
          verdict(rssSmall < rssLimitMiB),
        ],
        [
          'peak RSS, digestFile, 1 GiB',
          `${rssLarge.toFixed(0)} MiB`,
          '',
          `< ${rssLimitMiB} MiB, flat (±${flatToleranceMiB} MiB)`,
          verdict(flat && underLimit),
        ],
      ]),
    );
    const missed = [ratio >= throughputGoal, flat && underLimit].filter((met) => !met).length;
    console.log(missed === 0 ? '\nall goals met' : `\nGOAL MISSED: ${missed} of 2 goals (see MISSED above)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'peak-rss') {
  await digestFile(process.argv[3] ?? '');
  console.log(process.resourceUsage().maxRSS);
} else {
  await main();
}
