package dev.slmops.cli;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Messages over several lines at the chat prompt: llama-cli's trailing backslash, Ollama's """ blocks. */
class ChatInputTest {
    private static List<String> messages(String typed, ByteArrayOutputStream prompts) throws IOException {
        BufferedReader in = new BufferedReader(new StringReader(typed));
        PrintStream out = new PrintStream(prompts, true, StandardCharsets.UTF_8);
        List<String> got = new ArrayList<>();
        for (String m; (m = ChatInput.read(in, out)) != null; ) got.add(m);
        return got;
    }

    @Test
    void linesJoinAsTheOtherToolsJoinThem() throws IOException {
        ByteArrayOutputStream prompts = new ByteArrayOutputStream();
        List<String> got = messages("""
                one line
                first \\
                second\\
                third
                \"\"\"block start
                  indented line

                last\"\"\"
                \"\"\"inline block\"\"\"
                \"\"\"
                opened alone
                \"\"\"
                /exit
                """, prompts);
        assertThat(got).containsExactly("one line", "first \nsecond\nthird", "block start\n  indented line\n\nlast",
                "inline block", "opened alone", "/exit");
        assertThat(prompts.toString(StandardCharsets.UTF_8)).isEqualTo("... ".repeat(2 + 3 + 2));
    }

    @Test
    void inputThatEndsInsideABlockOrAfterABackslashGivesWhatCame() throws IOException {
        assertThat(messages("\"\"\"unfinished\nblock", new ByteArrayOutputStream())).containsExactly("unfinished\nblock");
        assertThat(messages("dangling \\", new ByteArrayOutputStream())).containsExactly("dangling \n");
    }
}
