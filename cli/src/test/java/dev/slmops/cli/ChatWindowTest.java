package dev.slmops.cli;

import dev.slmops.model.chat.ChatMessage;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/** A terminal conversation kept inside the context: oldest turns dropped, the system message kept. */
class ChatWindowTest {
    /** One token per character of each message's content, plus 2 for its header. */
    private static final Function<List<ChatMessage>, int[]> ENCODE =
            h -> new int[h.stream().mapToInt(msg -> msg.content().length() + 2).sum()];

    @Test
    void dropsTheOldestTurnsAndKeepsTheSystemMessage() {
        List<ChatMessage> history = new ArrayList<>(List.of(ChatMessage.system("sys"), // 5
                ChatMessage.user("aaaaaaaa"), ChatMessage.assistant("bbbbbbbb"), // 10 + 10
                ChatMessage.user("cccccccc"), ChatMessage.assistant("dddddddd"), // 10 + 10
                ChatMessage.user("eeeeeeee"))); // 10: 55 in all
        ChatWindow.Fitted f = ChatWindow.fit(history, ENCODE, 50, 10);
        assertThat(f).isNotNull();
        assertThat(f.dropped()).isEqualTo(2); // 35 + 10 <= 50
        assertThat(f.ids()).hasSize(35);
        assertThat(history).extracting(ChatMessage::content).containsExactly("sys", "cccccccc", "dddddddd", "eeeeeeee");

        List<ChatMessage> fits = new ArrayList<>(List.of(ChatMessage.user("short")));
        assertThat(ChatWindow.fit(fits, ENCODE, 50, 10).dropped()).isZero();
    }

    @Test
    void aMessageTooLongOnItsOwnIsRemovedAndTheRestKept() {
        List<ChatMessage> history = new ArrayList<>(List.of(ChatMessage.system("sys"),
                ChatMessage.user("aa"), ChatMessage.assistant("bb"), ChatMessage.user("x".repeat(60))));
        assertThat(ChatWindow.fit(history, ENCODE, 50, 10)).isNull();
        assertThat(history).extracting(ChatMessage::content).containsExactly("sys", "aa", "bb");
        // room for the reply is given up before the newest message: it runs if at least one token is left
        List<ChatMessage> tight = new ArrayList<>(List.of(ChatMessage.user("x".repeat(45))));
        assertThat(ChatWindow.fit(tight, ENCODE, 50, 10).ids()).hasSize(47);
        assertThat(ChatWindow.replyRoom(4096, 256)).isEqualTo(256);
        assertThat(ChatWindow.replyRoom(64, 256)).isEqualTo(16);
    }
}
