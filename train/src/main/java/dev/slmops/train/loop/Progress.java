package dev.slmops.train.loop;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/**
 * What a person watching sees: on a terminal one line redrawn in place (bar, step, loss, lr, tokens/s, ETA); when
 * the output is a file or pipe, a plain line every logging step. Evaluations and the end always get their own line.
 */
public final class Progress {
    private final PrintWriter out;
    private final boolean terminal;

    public Progress(PrintWriter out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    /** Progress on stderr, redrawn in place when stderr is a terminal. */
    public static Progress toStderr() {
        return to(new PrintWriter(System.err, true));
    }

    /** Progress on {@code out}, redrawn in place when the process runs in a terminal. */
    public static Progress to(PrintWriter out) {
        return new Progress(out, System.console() != null && System.console().isTerminal());
    }

    /** Prints nothing (library use, tests). */
    public static Progress silent() {
        return new Progress(new PrintWriter(java.io.Writer.nullWriter()), false);
    }

    /** One optimizer step; {@code etaSeconds} < 0 when unknown. */
    public void step(long step, long total, double loss, double lr, double tokensPerSecond, double etaSeconds) {
        String stats = String.format(Locale.ROOT, "step %d/%d  loss %.4f  lr %.3e  %.0f tok/s  ETA %s",
                step, total, loss, lr, tokensPerSecond, eta(etaSeconds));
        if (terminal) {
            out.print("\r" + bar(step, total, 24) + " " + stats + "\u001b[K");
        } else {
            out.println(stats);
        }
        out.flush();
    }

    public void evaluation(long step, double loss, double perplexity, boolean best) {
        line(String.format(Locale.ROOT, "eval at step %d: loss %.4f  perplexity %.3f%s", step, loss, perplexity,
                best ? "  (best so far)" : ""));
    }

    public void message(String text) {
        line(text);
    }

    private void line(String text) {
        if (terminal) out.print("\r\u001b[K");
        out.println(text);
        out.flush();
    }

    static String bar(long done, long total, int width) {
        int filled = (int) Math.min(width, total <= 0 ? 0 : done * width / total);
        return "[" + "#".repeat(filled) + "-".repeat(width - filled) + "]";
    }

    static String eta(double seconds) {
        if (!(seconds >= 0) || Double.isInfinite(seconds)) return "?";
        Duration d = Duration.ofSeconds(Math.round(seconds));
        if (d.toHours() > 0) return String.format(Locale.ROOT, "%dh%02dm", d.toHours(), d.toMinutesPart());
        if (d.toMinutes() > 0) return String.format(Locale.ROOT, "%dm%02ds", d.toMinutes(), d.toSecondsPart());
        return d.toSeconds() + "s";
    }
}
