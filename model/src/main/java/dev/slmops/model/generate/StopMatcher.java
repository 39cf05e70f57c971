package dev.slmops.model.generate;

import java.util.List;

/**
 * Cuts streamed text at the first stop string. Text that might be the start of a stop string is held back
 * until it is known not to be one, so a caller never sees part of a stop string.
 */
public final class StopMatcher {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    public StopMatcher(List<String> stops) {
        this.stops = stops;
    }

    public boolean stopped() {
        return stopped;
    }

    /** Takes new text; returns what may be emitted now. */
    public String feed(String text) {
        if (stopped) return "";
        if (stops.isEmpty()) return text;
        held.append(text);
        int cut = -1;
        for (String s : stops) {
            int i = held.indexOf(s);
            if (i >= 0 && (cut < 0 || i < cut)) cut = i;
        }
        if (cut >= 0) {
            stopped = true;
            String out = held.substring(0, cut);
            held.setLength(0);
            return out;
        }
        int keep = 0; // longest suffix of held that is a proper prefix of a stop string
        for (String s : stops) {
            for (int n = Math.min(s.length() - 1, held.length()); n > keep; n--) {
                if (held.substring(held.length() - n).equals(s.substring(0, n))) {
                    keep = n;
                    break;
                }
            }
        }
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** End of generation: the held-back text (no stop string completed) plus the decoder's tail. */
    public String finish(String tail) {
        String out = feed(tail);
        if (stopped) return out;
        String rest = held.toString();
        held.setLength(0);
        return out + rest;
    }
}
