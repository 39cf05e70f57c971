package dev.slmops.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * One message typed at the chat prompt, over several lines as the other tools take them: a line ending in a backslash
 * goes on to the next (llama-cli), and a block opened by {@code """} runs to the line that closes it (Ollama).
 */
final class ChatInput {
    private static final String BLOCK = "\"\"\"";

    private ChatInput() {
    }

    /** The next message, its lines joined by newlines; null at the end of input. Continuation lines are prompted with "... ". */
    static String read(BufferedReader in, PrintStream prompt) throws IOException {
        String line = in.readLine();
        if (line == null) return null;
        if (line.stripLeading().startsWith(BLOCK)) {
            String first = line.stripLeading().substring(BLOCK.length());
            if (first.stripTrailing().endsWith(BLOCK)) { // opened and closed on one line
                String body = first.stripTrailing();
                return body.substring(0, body.length() - BLOCK.length());
            }
            List<String> lines = new ArrayList<>(); // the block's lines; a bare opening or closing """ adds none
            if (!first.isEmpty()) lines.add(first);
            while (true) {
                prompt.print("... ");
                String next = in.readLine();
                if (next == null) return String.join("\n", lines); // input ended inside the block: what came is the message
                String end = next.stripTrailing();
                if (end.endsWith(BLOCK)) {
                    if (end.length() > BLOCK.length()) lines.add(end.substring(0, end.length() - BLOCK.length()));
                    return String.join("\n", lines);
                }
                lines.add(next);
            }
        }
        StringBuilder text = new StringBuilder();
        while (line.endsWith("\\")) {
            text.append(line, 0, line.length() - 1).append('\n');
            prompt.print("... ");
            line = in.readLine();
            if (line == null) return text.toString();
        }
        return text.append(line).toString();
    }
}
