package dev.slmops.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** `slmops chat` end to end on a tiny model: past its context, its commands, typed lines from standard input. */
class ChatCommandTest {
    @Test
    void theChatCommandCarriesOnPastTheContextAndTakesItsCommands(@TempDir Path tmp) {
        Path hf = tmp.resolve("tiny");
        assertThat(CliTest.run("init", "--shape", "tiny-llama", "--dtype", "f32", "-o", hf.toString()).exit()).isZero();
        String input = "hello there, how are you today?\nplease tell me about the sea and the sky\n"
                + "and what about the mountains far away\n" + "word ".repeat(200) + "\nthank you\n/?\n/nope\n/clear\n"
                + "again\n/bye\nnot read\n";
        InputStream savedIn = System.in;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        CliTest.Run r;
        try {
            r = CliTest.run("chat", "-m", hf.toString(), "-c", "64", "-n", "8", "--temp", "0");
        } finally {
            System.setIn(savedIn);
            System.setErr(savedErr);
        }
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertThat(r.exit()).as(stderr + r.err()).isZero();
        assertThat(stderr).contains("outgrew the 64-token context: dropped the oldest")
                .contains("that message does not fit the 64-token context")
                .contains("/exit, /bye", "unknown command /nope", "(a new conversation)");
        assertThat(r.out().split("> ", -1)).hasSize(11); // a prompt for each of the 10 lines read up to /bye, then none
    }
}
