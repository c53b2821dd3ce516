// Progress on stderr: a bar redrawn in place on a terminal; on a pipe or file, where carriage
// returns would pile up, a plain line every ~10% (and at least every 10 seconds).

export interface Progress {
  update(done: number, note?: string): void;
  finish(): void;
}

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

export function createProgress(label: string, total: number, stream: ProgressStream = process.stderr, now: () => number = () => performance.now()): Progress {
  const start = now();
  const elapsed = () => ((now() - start) / 1000).toFixed(1);
  if (stream.isTTY) {
    let lastDraw = -Infinity;
    let drawn = false;
    const draw = (done: number, note: string) => {
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 40));
      const filled = total > 0 ? Math.round((done / total) * width) : width;
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      stream.write(`\r\x1b[2K${label} ${bar} ${done}/${total} ${elapsed()}s${note ? `  ${note}` : ''}`);
      drawn = true;
    };
    return {
      update(done, note = '') {
        // Redraw at most ~20 times a second; the last item always draws.
        if (done < total && now() - lastDraw < 50) return;
        lastDraw = now();
        draw(done, note);
      },
      finish() {
        if (drawn) stream.write('\n');
      },
    };
  }
  const step = Math.max(1, Math.ceil(total / 10));
  let lastLine = start;
  let lastDone = 0;
  return {
    update(done, note = '') {
      if (done === lastDone) return;
      if (done % step !== 0 && done !== total && now() - lastLine < 10_000) return;
      lastDone = done;
      lastLine = now();
      stream.write(`${label}: ${done}/${total} (${elapsed()}s)${note ? ` ${note}` : ''}\n`);
    },
    finish() {},
  };
}
