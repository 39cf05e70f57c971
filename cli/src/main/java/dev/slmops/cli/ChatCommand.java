package dev.slmops.cli;

import dev.slmops.model.chat.ChatMessage;
import dev.slmops.model.engine.KvCache;
import dev.slmops.model.generate.Generator;
import dev.slmops.model.load.LoadedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Chat with a model in the terminal, through its chat template.",
                "Type /reset (or /clear) to start over, /exit (or /bye, or end of input) to leave, /? for help;"
                        + " Ctrl-C stops a reply as it streams.",
                "A line ending in \\ continues on the next; \"\"\" opens and closes a block of several lines.",
                "When the conversation outgrows the context, its oldest turns are dropped (the system message stays)."})
final class ChatCommand implements Callable<Integer> {

    @Mixin
    RunOptions run;

    @Option(names = "--system", description = "A system message to start the conversation with.")
    String system;

    @Mixin
    SamplingOptions sampling;

    private static final String HELP = String.join("\n",
            "/reset, /clear   start a new conversation (the --system message stays)",
            "/exit, /bye      leave (so does the end of input)",
            "/?, /help        this list",
            "Ctrl-C           stop the reply being written",
            "a line ending in \\ goes on to the next; \"\"\" starts and ends a block of several lines");

    @Override
    public Integer call() throws Exception {
        var params = sampling.toParams();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (LoadedModel m = run.load()) {
            Generator generator = m.generator();
            if (m.chatTemplate().isFallback()) {
                System.err.println("note: the model has no chat template; using the ChatML fallback");
            }
            List<ChatMessage> history = new ArrayList<>();
            if (system != null) history.add(ChatMessage.system(system));
            KvCache cache = m.newCache();
            int[] cached = new int[0]; // the tokens the cache holds, to reuse the shared prefix of each turn
            while (true) {
                out.print("> ");
                String line = ChatInput.read(in, out);
                String command = line == null ? "/exit" : line.strip();
                if (command.equals("/exit") || command.equals("/bye")) break;
                if (command.equals("/reset") || command.equals("/clear")) {
                    history.removeIf(msg -> !msg.role().equals("system"));
                    cache.truncate(0);
                    cached = new int[0];
                    System.err.println("(a new conversation" + (system == null ? "" : ", with the same system message") + ")");
                    continue;
                }
                if (command.equals("/?") || command.equals("/help")) {
                    System.err.println(HELP);
                    continue;
                }
                if (command.matches("/[a-z?]+")) {
                    System.err.println("unknown command " + command + "; /? lists them (a message starting with / needs"
                            + " a word after it, or a space before it)");
                    continue;
                }
                if (line.isBlank()) continue;
                history.add(ChatMessage.user(line));
                ChatWindow.Fitted fitted = ChatWindow.fit(history,
                        h -> m.tokenizer().encode(ChatPrompts.render(m, h), false), cache.capacity(),
                        ChatWindow.replyRoom(cache.capacity(), params.maxTokens()));
                if (fitted == null) {
                    System.err.println("error: that message does not fit the " + cache.capacity()
                            + "-token context with the chat template; write a shorter one, or start again with a"
                            + " longer --ctx");
                    continue;
                }
                if (fitted.dropped() > 0) {
                    System.err.println("note: the conversation outgrew the " + cache.capacity() + "-token context:"
                            + " dropped the oldest " + fitted.dropped() + " message" + (fitted.dropped() == 1 ? "" : "s")
                            + " (a longer --ctx keeps more)");
                }
                int[] ids = fitted.ids();
                int common = commonPrefix(cached, ids, cache.length());
                cache.truncate(common);
                StringBuilder reply = new StringBuilder();
                AtomicBoolean stopped = new AtomicBoolean();
                Generator.Result r;
                try (AutoCloseable ctrlC = Interrupts.whileOpen(() -> stopped.set(true))) {
                    r = generator.generate(Arrays.copyOfRange(ids, common, ids.length), params, cache,
                            (piece, token, lp) -> {
                                out.print(piece);
                                reply.append(piece);
                                return !stopped.get();
                            });
                }
                out.println();
                if (r.finish() == Generator.FinishReason.CANCELLED) System.err.println("(stopped: the reply so far is kept)");
                history.add(ChatMessage.assistant(reply.toString()));
                cached = concat(ids, r.tokens());
            }
        }
        return 0;
    }

    private static int commonPrefix(int[] a, int[] b, int limit) {
        int n = Math.min(Math.min(a.length, b.length - 1), limit); // keep at least one new token to feed
        int i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
