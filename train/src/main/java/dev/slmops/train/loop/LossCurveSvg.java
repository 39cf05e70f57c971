package dev.slmops.train.loop;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.train.checkpoint.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The loss curve as a standalone SVG: training loss per step (a line) and validation loss (dots), loss on a linear
 * axis from the smallest to the largest value seen, steps on the x axis.
 */
public final class LossCurveSvg {
    private static final int W = 720, H = 420, LEFT = 64, RIGHT = 16, TOP = 32, BOTTOM = 48;

    private LossCurveSvg() {
    }

    /** Draws the records of a metrics.jsonl file into {@code svg} (written atomically). */
    public static void write(Path metricsJsonl, Path svg) throws IOException {
        List<double[]> train = new ArrayList<>(), eval = new ArrayList<>();
        for (JsonNode r : MetricsLog.read(metricsJsonl)) {
            if (r.has("loss")) train.add(new double[]{r.get("step").asDouble(), r.get("loss").asDouble()});
            if (r.has("eval_loss")) eval.add(new double[]{r.get("step").asDouble(), r.get("eval_loss").asDouble()});
        }
        AtomicFiles.write(svg, render(train, eval).getBytes(StandardCharsets.UTF_8));
    }

    /** @param train (step, loss) points; @param eval (step, validation loss) points */
    static String render(List<double[]> train, List<double[]> eval) {
        double xMax = 1, yMin = Double.POSITIVE_INFINITY, yMax = Double.NEGATIVE_INFINITY;
        for (List<double[]> series : List.of(train, eval)) {
            for (double[] p : series) {
                if (!Double.isFinite(p[1])) continue;
                xMax = Math.max(xMax, p[0]);
                yMin = Math.min(yMin, p[1]);
                yMax = Math.max(yMax, p[1]);
            }
        }
        if (yMin > yMax) { yMin = 0; yMax = 1; }
        if (yMax - yMin < 1e-9) { yMin -= 0.5; yMax += 0.5; }
        Axis x = new Axis(0, xMax, LEFT, W - RIGHT), y = new Axis(yMin, yMax, H - BOTTOM, TOP);
        StringBuilder s = new StringBuilder();
        s.append(f("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">\n", W, H, W, H));
        s.append(f("<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H));
        s.append(f("<text x=\"%d\" y=\"20\" font-size=\"14\">loss per step (train: line, validation: dots)</text>\n", LEFT));
        for (int i = 0; i <= 4; i++) { // grid and tick labels
            double yv = yMin + (yMax - yMin) * i / 4, xv = xMax * i / 4;
            s.append(f("<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", LEFT, W - RIGHT, y.px(yv), y.px(yv)));
            s.append(f("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>\n", LEFT - 6, y.px(yv) + 4, yv));
            s.append(f("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0f</text>\n", x.px(xv), H - BOTTOM + 18, xv));
        }
        s.append(f("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">step</text>\n", (LEFT + W - RIGHT) / 2, H - 8));
        s.append(f("<text x=\"14\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">loss (nats/token)</text>\n",
                (TOP + H - BOTTOM) / 2, (TOP + H - BOTTOM) / 2));
        if (!train.isEmpty()) {
            s.append("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"");
            for (double[] p : train) if (Double.isFinite(p[1])) s.append(f("%.1f,%.1f ", x.px(p[0]), y.px(p[1])));
            s.append("\"/>\n");
        }
        for (double[] p : eval) {
            if (Double.isFinite(p[1])) s.append(f("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#d62728\"/>\n", x.px(p[0]), y.px(p[1])));
        }
        return s.append("</svg>\n").toString();
    }

    /** Maps a value range onto a pixel range. */
    private record Axis(double lo, double hi, double pxLo, double pxHi) {
        double px(double v) {
            return pxLo + (v - lo) / (hi - lo) * (pxHi - pxLo);
        }
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
