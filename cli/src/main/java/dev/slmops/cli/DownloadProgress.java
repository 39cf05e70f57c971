package dev.slmops.cli;

import dev.slmops.workflows.cache.HubFile;
import dev.slmops.workflows.cache.ModelPuller;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The progress of a pull on stderr: one bar redrawn in place on a terminal (bytes, percent, MB/s, ETA), plain
 * lines per finished file otherwise (logs, CI).
 */
final class DownloadProgress implements ModelPuller.Progress {
    private final PrintStream err = System.err;
    private final boolean tty = System.console() != null;
    private final AtomicLong done = new AtomicLong();
    private final long started = System.nanoTime();
    private volatile long total;
    private volatile long lastDraw;

    @Override
    public void files(List<HubFile> toDownload, long totalBytes) {
        total = totalBytes;
        if (toDownload.isEmpty()) return;
        err.printf(Locale.ROOT, "downloading %d file(s), %s%n", toDownload.size(), InspectCommand.bytes(totalBytes));
    }

    @Override
    public void bytes(HubFile file, long n) {
        long d = done.addAndGet(n);
        long now = System.nanoTime();
        if (tty && now - lastDraw > 100_000_000L) {
            lastDraw = now;
            draw(d, now);
        }
    }

    @Override
    public void fileDone(HubFile file) {
        if (tty) {
            err.print("\r\033[K");
            draw(done.get(), System.nanoTime());
        } else {
            err.printf("  %s (%s)%n", file.path(), InspectCommand.bytes(Math.max(0, file.size())));
        }
    }

    @Override
    public void retry(HubFile file, int attempt, String why) {
        err.printf("%s  %s: connection lost (%s), resuming (attempt %d)%n", tty ? "\r\033[K" : "", file.path(), why, attempt + 1);
    }

    private synchronized void draw(long d, long now) {
        double s = Math.max(1e-3, (now - started) / 1e9);
        double rate = d / s;
        double pct = total > 0 ? 100.0 * d / total : 0;
        int width = 30, filled = (int) Math.min(width, Math.round(width * pct / 100));
        long eta = rate > 0 && total > d ? Math.round((total - d) / rate) : 0;
        err.printf(Locale.ROOT, "\r[%s%s] %5.1f%% %s / %s  %.1f MB/s  ETA %ds", "#".repeat(filled), " ".repeat(width - filled),
                pct, InspectCommand.bytes(d), InspectCommand.bytes(total), rate / 1e6, eta);
    }

    void finish() {
        if (tty) err.println();
    }
}
