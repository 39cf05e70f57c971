package dev.slmops.model.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * {@link ToolCallParser} for a reply that arrives a piece at a time: feed the text as it is decoded, get back what
 * can be said for sure so far, in the order OpenAI streams it: content, then per call one {@link CallStart} (index,
 * id, name) followed by {@link Arguments} fragments as the model writes them. The fragments of a call concatenate
 * to its arguments JSON (the model's own spelling of it, so spaces may differ from the whole-reply parser's).
 *
 * <p>What is held back, and why:
 * <ul>
 *   <li>content that may be the start of a call marker ({@code "<tool_"} before {@code "<tool_call>"}): emitting it
 *       would put half a marker in the content;</li>
 *   <li>whitespace next to a call (the newlines around a Hermes block), which the whole-reply parser trims; it is
 *       emitted when more content follows, or at the end when the reply made no call;</li>
 *   <li>a call until its name is known (a model may write {@code "arguments"} before {@code "name"}), and a call
 *       body whose JSON has gone wrong before the name was out: it becomes content, as in the whole-reply parser.</li>
 * </ul>
 * A call body that goes wrong after its start was emitted ends that call where it stands (nothing is retracted).
 *
 * <p>Formats: HERMES {@code <tool_call>{..}</tool_call>} blocks (an object or array each); PHI4
 * {@code <|tool_call|>[..]<|/tool_call|>}; MISTRAL {@code [TOOL_CALLS] [..]} or {@code [TOOL_CALLS]name[ARGS]{..}};
 * LLAMA3_JSON a reply that starts with a call object (after an optional {@code <|python_tag|>}), several split by
 * {@code ';'}. A leading {@code <think>..</think>} block is passed through as content, markers inside it ignored.
 * Feed the text decoded with special tokens (Phi-4's and Mistral's markers are special tokens). Not thread-safe.
 */
public final class ToolCallStream {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One piece of the streamed reply. */
    public sealed interface Delta permits Content, CallStart, Arguments {
    }

    /** Text the user sees. */
    public record Content(String text) implements Delta {
    }

    /** The start of call {@code index} (0, 1, ..): its id and function name; arguments follow. */
    public record CallStart(int index, String id, String name) implements Delta {
    }

    /** The next piece of call {@code index}'s arguments JSON. */
    public record Arguments(int index, String fragment) implements Delta {
    }

    private enum Mode { START, THINK, CONTENT, REGION, AFTER_VALUE, DONE }

    private final ToolCallFormat format;
    private final IntFunction<String> ids;
    private final String open, close; // the region markers ("" for none)
    private final StringBuilder text = new StringBuilder();
    private Mode mode = Mode.START;
    private int pos;               // text before this offset has been decided (emitted, held in `spaces`, or dropped)
    private final StringBuilder spaces = new StringBuilder(); // whitespace-only content waiting for more content
    private boolean contentEmitted;
    private int calls;             // calls started so far (the next call's index)
    private Region region;         // the call body being read (mode REGION)

    /** Parses with random OpenAI-style ids. */
    public ToolCallStream(ToolCallFormat format) {
        this(format, i -> ToolCallParser.randomId());
    }

    /** Parses, naming the i-th call {@code ids.apply(i)}. */
    public ToolCallStream(ToolCallFormat format, IntFunction<String> ids) {
        this.format = format;
        this.ids = ids;
        switch (format) {
            case HERMES -> { open = "<tool_call>"; close = "</tool_call>"; }
            case PHI4 -> { open = "<|tool_call|>"; close = "<|/tool_call|>"; }
            case MISTRAL -> { open = "[TOOL_CALLS]"; close = ""; }
            default -> { open = ""; close = ""; }
        }
    }

    /** Whether a call has started (the reply's finish reason is then {@code tool_calls}). */
    public boolean hasToolCalls() {
        return calls > 0;
    }

    /** Takes the next piece of the reply; returns the deltas it makes certain (often none). */
    public List<Delta> feed(String piece) {
        text.append(piece);
        List<Delta> out = new ArrayList<>();
        advance(out, false);
        return out;
    }

    /** The reply has ended: returns what was held back that still stands. */
    public List<Delta> finish() {
        List<Delta> out = new ArrayList<>();
        advance(out, true);
        if (mode == Mode.REGION) endRegionAtEnd(out);
        else if (mode == Mode.CONTENT || mode == Mode.THINK || mode == Mode.START || mode == Mode.AFTER_VALUE) {
            content(out, text.substring(pos), true);
            pos = text.length();
        }
        if (calls == 0 && !spaces.isEmpty()) out.add(new Content(spaces.toString()));
        spaces.setLength(0);
        mode = Mode.DONE;
        return merge(out);
    }

    // ---- the state machine over the text; `end` is true once no more text will come

    private void advance(List<Delta> out, boolean end) {
        while (true) {
            Mode before = mode;
            int at = pos;
            switch (mode) {
                case START -> start(out, end);
                case THINK -> think(out, end);
                case CONTENT -> content(out, end);
                case REGION -> region(out);
                case AFTER_VALUE -> afterValue(out, end);
                case DONE -> { return; }
            }
            if (mode == before && pos == at) return; // waits for more text
        }
    }

    /** Before the first visible character: a {@code <think>} block, a Llama 3 call, or content. */
    private void start(List<Delta> out, boolean end) {
        int i = skipSpaces(pos);
        String rest = text.substring(i);
        if (rest.isEmpty() && !end) return;
        if (startsOrIsPrefix(rest, "<think>")) {
            if (rest.length() < "<think>".length() && !end) return;
            if (rest.startsWith("<think>")) {
                mode = Mode.THINK;
                return;
            }
        }
        if (format == ToolCallFormat.LLAMA3_JSON) {
            if (startsOrIsPrefix(rest, "<|python_tag|>") && !rest.startsWith("<|python_tag|>") && !end) return;
            int j = rest.startsWith("<|python_tag|>") ? skipSpaces(i + "<|python_tag|>".length()) : i;
            if (j == text.length() && !end) return;
            if (j < text.length() && (text.charAt(j) == '{' || text.charAt(j) == '[')) {
                holdSpaces(pos, i); // leading spaces: kept only if the reply turns out to be content
                beginRegion(i, j);
                return;
            }
        }
        mode = Mode.CONTENT;
    }

    /** Inside a leading think block: content, with no markers, until {@code </think>}. */
    private void think(List<Delta> out, boolean end) {
        int close = text.indexOf("</think>", pos);
        if (close >= 0) {
            content(out, text.substring(pos, close + "</think>".length()), false);
            pos = close + "</think>".length();
            // a Llama 3 call may follow the think block: look at what follows as at the start of a reply
            mode = format == ToolCallFormat.LLAMA3_JSON ? Mode.START : Mode.CONTENT;
            return;
        }
        int keep = end ? 0 : heldPrefix(pos, "</think>");
        content(out, text.substring(pos, text.length() - keep), false);
        pos = text.length() - keep;
    }

    /** Content: up to a region marker, holding back what may be the start of one. */
    private void content(List<Delta> out, boolean end) {
        if (open.isEmpty()) { // LLAMA3_JSON after its start, or MISTRAL-less formats: all content
            content(out, text.substring(pos), false);
            pos = text.length();
            return;
        }
        int m = text.indexOf(open, pos);
        if (m >= 0) {
            content(out, text.substring(pos, m), false);
            beginRegion(m, m + open.length());
            return;
        }
        int keep = end ? 0 : heldPrefix(pos, open);
        content(out, text.substring(pos, text.length() - keep), false);
        pos = text.length() - keep;
    }

    /** Emits content, holding whitespace-only runs until something visible follows them. */
    private void content(List<Delta> out, String s, boolean last) {
        if (s.isEmpty()) return;
        if (s.isBlank()) {
            spaces.append(s);
            return;
        }
        int t = s.length();
        while (t > 0 && Character.isWhitespace(s.charAt(t - 1))) t--;
        out.add(new Content(spaces + s.substring(0, t)));
        contentEmitted = true;
        spaces.setLength(0);
        spaces.append(s, t, s.length());
    }

    private void holdSpaces(int from, int to) {
        if (to > from) spaces.append(text, from, to);
    }

    // ---- call regions

    /** A call body: its JSON (or Mistral's name[ARGS]{..}) from {@code bodyStart}, and what was emitted of it. */
    private static final class Region {
        final int markerStart, bodyStart;
        final List<Emitted> emitted = new ArrayList<>();
        int firstIndex;     // the global index of this region's first call
        String mistralName; // MISTRAL name[ARGS] form: the name, once [ARGS] is seen
        int argsOffset;     // ... and where its arguments value starts (relative to bodyStart)

        Region(int markerStart, int bodyStart) {
            this.markerStart = markerStart;
            this.bodyStart = bodyStart;
        }

        boolean anyStarted() {
            return !emitted.isEmpty();
        }
    }

    private static final class Emitted {
        int argsChars;    // characters of the raw arguments text emitted
        boolean argsDone; // the arguments are complete (and emitted)
    }

    private void beginRegion(int markerStart, int bodyStart) {
        region = new Region(markerStart, bodyStart);
        region.firstIndex = calls;
        pos = bodyStart;
        mode = Mode.REGION;
    }

    private void region(List<Delta> out) {
        Region r = region;
        String body = text.substring(r.bodyStart);
        JsonScan scan;
        if (format == ToolCallFormat.MISTRAL && r.mistralName == null) {
            int first = skipSpaces(r.bodyStart) - r.bodyStart;
            if (first == body.length()) return;
            char c = body.charAt(first);
            if (c != '[' && c != '{') { // newer Mistral: name[ARGS]{...}
                int a = body.indexOf("[ARGS]");
                if (a < 0) {
                    if (body.length() > 256 || body.indexOf('\n') >= 0) abandonRegion(out); // not a function name
                    return;
                }
                r.mistralName = body.substring(0, a).strip();
                r.argsOffset = a + "[ARGS]".length();
                if (r.mistralName.isEmpty()) {
                    abandonRegion(out);
                    return;
                }
            }
        }
        scan = r.mistralName != null ? JsonScan.argsOnly(body, r.argsOffset) : JsonScan.calls(body);
        if (r.mistralName != null && !scan.calls.isEmpty()) scan.calls.getFirst().name = r.mistralName;
        emitCalls(out, r, body, scan);
        if (scan.invalid) {
            if (!r.anyStarted()) abandonRegion(out);
            else endRegion(r.bodyStart + scan.scanned, true);
            return;
        }
        if (scan.valueEnd >= 0) endRegion(r.bodyStart + scan.valueEnd, false);
        else pos = text.length();
    }

    /** Emits each call's start and the arguments text it has gained since the last time. */
    private void emitCalls(List<Delta> out, Region r, String body, JsonScan scan) {
        for (int k = 0; k < scan.calls.size(); k++) {
            JsonScan.Call c = scan.calls.get(k);
            if (k >= r.emitted.size()) {
                // in order, each call once its name is known; after broken JSON only the calls that closed before it
                if (c.name == null || k > r.emitted.size() || scan.invalid && !c.done) return;
                int index = r.firstIndex + k;
                out.add(new CallStart(index, ids.apply(index), c.name));
                r.emitted.add(new Emitted());
                calls++;
            }
            Emitted e = r.emitted.get(k);
            if (e.argsDone) continue;
            int index = r.firstIndex + k;
            if (c.argsStart >= 0 && c.argsRaw) { // an object or array: its text as it grows
                int to = c.argsEnd >= 0 ? c.argsEnd : scan.invalid ? -1 : scan.scanned; // never past broken JSON
                if (to >= 0 && to - c.argsStart > e.argsChars) {
                    out.add(new Arguments(index, body.substring(c.argsStart + e.argsChars, to)));
                    e.argsChars = to - c.argsStart;
                }
                if (c.argsEnd >= 0) e.argsDone = true;
            } else if (c.argsStart >= 0 && c.argsEnd >= 0) { // a string (arguments written as JSON text) or scalar
                String a = c.argsText(body);
                if (!a.isEmpty()) out.add(new Arguments(index, a));
                e.argsDone = true;
            } else if (c.done && c.argsStart < 0) { // no arguments at all: an empty object, as the whole parser says
                out.add(new Arguments(index, "{}"));
                e.argsDone = true;
            }
        }
    }

    /**
     * The body is not a call after all: the marker is content and the text after it is looked at again (the
     * whole-reply parser leaves such a block in the content); for Llama 3, whose "marker" is the JSON itself, the
     * rest of the reply is content.
     */
    private void abandonRegion(List<Delta> out) {
        Region r = region;
        region = null;
        mode = Mode.CONTENT;
        if (format == ToolCallFormat.LLAMA3_JSON) {
            pos = r.markerStart;
            return;
        }
        content(out, text.substring(r.markerStart, r.bodyStart), false);
        pos = r.bodyStart;
    }

    /** The call JSON ended at {@code at}; what follows is a close marker, a next call, or content. */
    private void endRegion(int at, boolean broken) {
        region = null;
        pos = at;
        mode = broken ? skipToCloseOrEnd() : Mode.AFTER_VALUE;
    }

    private Mode skipToCloseOrEnd() {
        if (close.isEmpty()) {
            pos = text.length();
            return Mode.DONE; // the rest of a broken Mistral/Llama 3 call body is dropped
        }
        int c = text.indexOf(close, pos);
        if (c < 0) {
            pos = text.length();
            return Mode.DONE;
        }
        pos = c + close.length();
        return Mode.CONTENT;
    }

    /** After a call's JSON: spaces, then the close marker (dropped), {@code ';'} and another call (Llama 3), or content. */
    private void afterValue(List<Delta> out, boolean end) {
        int i = skipSpaces(pos);
        String rest = text.substring(i);
        if (rest.isEmpty() && !end) return;
        if (!close.isEmpty() && startsOrIsPrefix(rest, close)) {
            if (!rest.startsWith(close)) {
                if (!end) return;
            } else {
                pos = i + close.length();
                mode = Mode.CONTENT;
                return;
            }
        }
        if (format == ToolCallFormat.LLAMA3_JSON && rest.startsWith(";")) {
            int j = skipSpaces(i + 1);
            if (j == text.length() && !end) return;
            if (j < text.length() && text.charAt(j) == '{') {
                beginRegion(j, j);
                return;
            }
        }
        holdSpaces(pos, i);
        pos = i;
        mode = Mode.CONTENT;
    }

    /** The reply ended inside a call body: an unclosed call stands as written; one that never got a name is content. */
    private void endRegionAtEnd(List<Delta> out) {
        Region r = region;
        if (!r.anyStarted()) {
            content(out, text.substring(r.markerStart), true);
        }
        region = null;
        pos = text.length();
    }

    // ---- helpers

    private int skipSpaces(int i) {
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) i++;
        return i;
    }

    /** How many characters at the end of the text (from {@code from}) may be the start of {@code marker}. */
    private int heldPrefix(int from, String marker) {
        int max = Math.min(marker.length() - 1, text.length() - from);
        for (int n = max; n > 0; n--) {
            if (CharSequence.compare(text.subSequence(text.length() - n, text.length()), marker.substring(0, n)) == 0) return n;
        }
        return 0;
    }

    private static boolean startsOrIsPrefix(String s, String marker) {
        return s.startsWith(marker) || marker.startsWith(s);
    }

    /** Joins neighbouring content pieces and argument fragments of one call. */
    private static List<Delta> merge(List<Delta> in) {
        List<Delta> out = new ArrayList<>(in.size());
        for (Delta d : in) {
            Delta last = out.isEmpty() ? null : out.getLast();
            if (d instanceof Content c && last instanceof Content l) out.set(out.size() - 1, new Content(l.text() + c.text()));
            else if (d instanceof Arguments a && last instanceof Arguments l && l.index() == a.index()) {
                out.set(out.size() - 1, new Arguments(a.index(), l.fragment() + a.fragment()));
            } else out.add(d);
        }
        return out;
    }

    /**
     * A scan of a JSON prefix for call objects: a call object or an array of them at the top, each with a string
     * {@code name} and an {@code arguments} (or {@code parameters}) value whose offsets are recorded as they appear.
     * Rescanned from the start on each piece (bodies are a few hundred characters).
     */
    static final class JsonScan {
        static final class Call {
            String name;
            int argsStart = -1, argsEnd = -1; // offsets of the arguments value in the body; end -1 while open
            boolean argsRaw;                  // an object or array (streamed as it grows), else a string or scalar
            boolean done;                     // the call object is closed

            /** A complete string or scalar arguments value as the arguments text. */
            String argsText(String body) {
                String raw = body.substring(argsStart, argsEnd);
                try {
                    JsonNode n = JSON.readTree(raw);
                    if (n.isTextual()) return n.textValue();
                    if (n.isNull()) return "{}";
                    return raw;
                } catch (Exception e) {
                    return raw;
                }
            }
        }

        private enum Role { CALL, CALLS, NAME, ARGS, OTHER }

        private enum St { VALUE, ARRAY_FIRST, KEY_FIRST, KEY, KEY_STRING, COLON, STRING, LITERAL, AFTER, END }

        final List<Call> calls = new ArrayList<>();
        boolean invalid;
        int valueEnd = -1; // offset after the top-level value, once it is complete
        int scanned;       // characters read (the body's length unless it ended or went wrong)

        private final String s;
        private final boolean argsOnly; // Mistral name[ARGS]: the top value is the one call's arguments

        private JsonScan(String s, boolean argsOnly) {
            this.s = s;
            this.argsOnly = argsOnly;
        }

        static JsonScan calls(String body) {
            JsonScan j = new JsonScan(body, false);
            j.run(0);
            return j;
        }

        static JsonScan argsOnly(String body, int from) {
            JsonScan j = new JsonScan(body, true);
            j.calls.add(new Call());
            j.run(from);
            return j;
        }

        // containers open: their role and (objects) the key being read; scalars: role and start
        private final List<Role> roles = new ArrayList<>();
        private final List<Character> kinds = new ArrayList<>();
        private final List<Integer> starts = new ArrayList<>();
        private final List<Call> owners = new ArrayList<>(); // the call a container belongs to (or null)
        private String key;            // the key whose value comes next (in an object)
        private int keyStart;
        private Role scalarRole;
        private int scalarStart;
        private Call scalarOwner;

        private void run(int from) {
            St st = St.VALUE;
            int i = from;
            for (; i < s.length() && !invalid; i++) {
                char c = s.charAt(i);
                boolean ws = c == ' ' || c == '\n' || c == '\r' || c == '\t';
                switch (st) {
                    case VALUE -> {
                        if (ws) continue;
                        st = startValue(c, i);
                    }
                    case ARRAY_FIRST -> {
                        if (ws) continue;
                        if (c == ']') st = endContainer(']', i);
                        else st = startValue(c, i);
                    }
                    case KEY_FIRST, KEY -> {
                        if (ws) continue;
                        if (c == '"') {
                            keyStart = i;
                            st = St.KEY_STRING;
                        } else if (c == '}' && st == St.KEY_FIRST) st = endContainer('}', i);
                        else invalid = true;
                    }
                    case KEY_STRING -> {
                        if (c == '\\') i++;
                        else if (c == '"') {
                            key = s.substring(keyStart + 1, i);
                            st = St.COLON;
                        }
                    }
                    case COLON -> {
                        if (ws) continue;
                        if (c == ':') st = St.VALUE;
                        else invalid = true;
                    }
                    case STRING -> {
                        if (c == '\\') i++;
                        else if (c == '"') st = endScalar(i + 1);
                        else if (c < 0x20) invalid = true;
                    }
                    case LITERAL -> {
                        if (Character.isLetterOrDigit(c) || c == '.' || c == '+' || c == '-') continue;
                        st = endScalar(i);
                        i--; // this character follows the literal
                    }
                    case AFTER -> {
                        if (ws) continue;
                        char k = kinds.getLast();
                        if (c == ',') st = k == '{' ? St.KEY : St.VALUE;
                        else if (c == '}' && k == '{' || c == ']' && k == '[') st = endContainer(c, i);
                        else invalid = true;
                    }
                    case END -> { }
                }
                if (st == St.END) {
                    i++;
                    break;
                }
            }
            scanned = Math.min(i, s.length());
        }

        /** The role of a value starting now, from where it sits. */
        private Role roleHere() {
            if (roles.isEmpty()) return argsOnly ? Role.ARGS : Role.CALLS; // CALLS: resolved by the first char
            Role parent = roles.getLast();
            if (parent == Role.CALLS) return Role.CALL;
            if (parent == Role.CALL) {
                if ("name".equals(key)) return Role.NAME;
                if ("arguments".equals(key) || "parameters".equals(key)) return Role.ARGS;
            }
            return Role.OTHER;
        }

        private Call ownerHere() {
            if (roles.isEmpty()) return argsOnly ? calls.getFirst() : null;
            return roles.getLast() == Role.CALL ? owners.getLast() : null;
        }

        private St startValue(char c, int i) {
            Role role = roleHere();
            Call owner = ownerHere();
            if (roles.isEmpty() && !argsOnly) role = c == '{' ? Role.CALL : c == '[' ? Role.CALLS : null;
            if (role == null || role == Role.CALL && c != '{') {
                invalid = true; // a call body holds an object or an array of objects
                return St.END;
            }
            if (role == Role.CALL) {
                owner = new Call();
                calls.add(owner);
            }
            if (role == Role.ARGS && owner != null) {
                owner.argsStart = i;
                owner.argsRaw = c == '{' || c == '[';
            }
            if (c == '{' || c == '[') {
                roles.add(role);
                kinds.add(c);
                starts.add(i);
                owners.add(owner);
                return c == '{' ? St.KEY_FIRST : St.ARRAY_FIRST;
            }
            if (role == Role.NAME && c != '"') {
                invalid = true; // a name must be a string
                return St.END;
            }
            scalarRole = role;
            scalarStart = i;
            scalarOwner = owner;
            if (c == '"') return St.STRING;
            if (c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n') return St.LITERAL;
            invalid = true;
            return St.END;
        }

        private St endScalar(int end) {
            String raw = s.substring(scalarStart, end);
            if (s.charAt(scalarStart) != '"' && !raw.matches("-?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)?|true|false|null")) {
                invalid = true;
                return St.END;
            }
            if (scalarRole == Role.NAME) {
                try {
                    scalarOwner.name = JSON.readTree(raw).textValue();
                } catch (Exception e) {
                    invalid = true;
                    return St.END;
                }
            } else if (scalarRole == Role.ARGS && scalarOwner != null) {
                scalarOwner.argsEnd = end;
            }
            return afterValue(end);
        }

        private St endContainer(char c, int i) {
            Role role = roles.removeLast();
            kinds.removeLast();
            starts.removeLast();
            Call owner = owners.removeLast();
            if (role == Role.ARGS && owner != null) owner.argsEnd = i + 1;
            if (role == Role.CALL) {
                owner.done = true;
                if (owner.name == null) { // an object without a name is no call
                    invalid = true;
                    return St.END;
                }
            }
            if (role == Role.CALLS && calls.isEmpty()) { // [] holds no call
                invalid = true;
                return St.END;
            }
            return afterValue(i + 1);
        }

        private St afterValue(int end) {
            if (roles.isEmpty()) {
                valueEnd = end;
                return St.END;
            }
            return St.AFTER;
        }
    }
}
