package dev.slmops.model.tokenizer.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The default training text: a synthetic corpus generated at run time, deterministically, from templates and
 * word lists written for slmops (no text is copied from anywhere). It mixes five kinds of document:
 * <ul>
 *   <li>everyday English: short paragraphs about meals, weather, travel, work, shopping, and markdown lists;</li>
 *   <li>numbers: arithmetic questions and answers, prices, dates, times, percentages, units;</li>
 *   <li>code: small functions and statements in Java, Python, JavaScript, C, SQL, shell and JSON;</li>
 *   <li>other languages: simple sentences composed for slmops in French, German, Spanish, Italian, Portuguese,
 *       Dutch, Polish, Turkish, Russian, Greek, Arabic, Hindi, Chinese, Japanese, Korean and Vietnamese;</li>
 *   <li>chats: ChatML conversations ({@code <|im_start|>user ... <|im_end|>}) whose special tokens the trainer
 *       cuts out.</li>
 * </ul>
 * Names of people, places and products include invented words built from syllables, so a larger corpus keeps
 * offering new words to merge. {@link #documents()} is about 200 KB; {@link #documents(long, long)} makes any
 * size (the speed note uses 5 MB). {@link java.util.Random} is used because its sequence is fixed by its
 * specification, so the corpus is the same on every JDK.
 */
public final class BuiltinCorpus {
    public static final long SEED = 20261126L;
    public static final long DEFAULT_CHARS = 200_000;
    public static final String DESCRIPTION = "the slmops built-in synthetic corpus (generated from templates written "
            + "for slmops: everyday English, numbers and arithmetic, code in seven languages, simple sentences in "
            + "sixteen other languages, ChatML chats)";

    private BuiltinCorpus() {
    }

    /** About 200 KB of text in a few hundred documents; the same on every call. */
    public static Iterable<String> documents() {
        return documents(SEED, DEFAULT_CHARS);
    }

    /** Documents until their total length reaches {@code approxChars} UTF-16 chars. */
    public static List<String> documents(long seed, long approxChars) {
        Random r = new Random(seed);
        List<String> docs = new ArrayList<>();
        long total = 0;
        while (total < approxChars) {
            int kind = r.nextInt(100);
            String d;
            if (kind < 34) d = everyday(r);
            else if (kind < 50) d = numbers(r);
            else if (kind < 75) d = code(r);
            else if (kind < 90) d = otherLanguage(r);
            else d = chat(r);
            docs.add(d);
            total += d.length();
        }
        return docs;
    }

    // ---------------------------------------------------------------- word lists

    private static final String[] FIRST_NAMES = {"Anna", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hugo",
            "Ines", "Jonas", "Kira", "Liam", "Maya", "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Sam", "Tara", "Umar",
            "Vera", "Wei", "Yuki", "Zoe", "Amir", "Lena", "Tom", "Priya", "Mateo"};
    private static final String[] SYLLABLES = {"ka", "lo", "ren", "mi", "tor", "sa", "vel", "dun", "ri", "mar", "po",
            "len", "ta", "bri", "zo", "kel", "an", "for", "ni", "sha", "gol", "ve", "ru", "den", "li", "os", "tra",
            "mun", "ei", "ba", "qua", "xen", "hal", "pe", "dro", "sil"};
    private static final String[] PLACES = {"kitchen", "garden", "office", "station", "library", "market", "park",
            "school", "bakery", "harbor", "museum", "hospital", "airport", "village", "beach", "mountain cabin"};
    private static final String[] FOODS = {"soup", "bread", "rice", "salad", "pasta", "apples", "cheese", "eggs",
            "tea", "coffee", "noodles", "beans", "oranges", "yogurt", "pancakes", "tomatoes", "carrots", "fish"};
    private static final String[] OBJECTS = {"umbrella", "bicycle", "laptop", "notebook", "lamp", "backpack",
            "phone", "ticket", "map", "key", "chair", "window", "camera", "watch", "kettle", "jacket", "letter"};
    private static final String[] ADJECTIVES = {"small", "old", "new", "bright", "quiet", "heavy", "warm", "cold",
            "blue", "green", "broken", "clean", "busy", "empty", "friendly", "careful", "strange", "simple"};
    private static final String[] WEEKDAYS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
            "Sunday"};
    private static final String[] MONTHS = {"January", "February", "March", "April", "May", "June", "July",
            "August", "September", "October", "November", "December"};
    private static final String[] WEATHER = {"it was raining", "the sun was shining", "a cold wind was blowing",
            "the sky was grey", "it was snowing lightly", "the air was warm and still", "fog covered the streets"};
    private static final String[] FEELINGS = {"happy", "tired", "surprised", "calm", "curious", "hungry", "proud",
            "a little nervous", "relieved", "bored"};
    private static final String[] VERBS_PAST = {"cooked", "cleaned", "bought", "found", "fixed", "carried", "painted",
            "borrowed", "forgot", "opened", "packed", "sold", "measured", "checked", "wrapped", "lost"};
    private static final String[] TOPICS = {"the weather", "a new recipe", "the train timetable", "their holiday plans",
            "a book about birds", "the football match", "the price of vegetables", "a film they had seen",
            "the noise from the street", "how to grow tomatoes", "a broken heater", "the school concert"};
    private static final String[] NOUNS_CODE = {"user", "order", "item", "price", "count", "name", "total", "buffer",
            "index", "value", "result", "token", "line", "file", "path", "score", "size", "node", "text", "limit"};
    private static final String[] VERBS_CODE = {"get", "set", "load", "save", "parse", "find", "build", "check",
            "count", "read", "write", "update", "remove", "sort", "merge", "split", "format", "compute"};

    private static String pick(Random r, String[] a) {
        return a[r.nextInt(a.length)];
    }

    /** An invented word of 2-3 syllables, e.g. "kelmaros". */
    private static String invented(Random r) {
        StringBuilder sb = new StringBuilder();
        int n = 2 + r.nextInt(2);
        for (int i = 0; i < n; i++) sb.append(pick(r, SYLLABLES));
        return sb.toString();
    }

    private static String capitalized(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static String person(Random r) {
        return r.nextInt(3) == 0 ? capitalized(invented(r)) : pick(r, FIRST_NAMES);
    }

    private static String town(Random r) {
        return capitalized(invented(r)) + (r.nextBoolean() ? "" : pick(r, new String[]{"ville", "burg", " Bay",
                " Hill", "stad", " Springs"}));
    }

    // ---------------------------------------------------------------- everyday English

    private static String everyday(Random r) {
        if (r.nextInt(6) == 0) return list(r);
        StringBuilder sb = new StringBuilder();
        int sentences = 3 + r.nextInt(6);
        String who = person(r);
        for (int i = 0; i < sentences; i++) {
            if (i > 0) sb.append(r.nextInt(5) == 0 ? "\n\n" : " ");
            sb.append(sentence(r, who));
        }
        return sb.toString();
    }

    private static String sentence(Random r, String who) {
        String other = person(r);
        return switch (r.nextInt(14)) {
            case 12 -> "The shop on " + capitalized(invented(r)) + " Street sells " + invented(r) + " and "
                    + invented(r) + ", but " + who + " only wanted " + pick(r, FOODS) + ".";
            case 13 -> who + " named the " + pick(r, new String[]{"cat", "dog", "boat", "garden", "robot", "band"})
                    + " \"" + capitalized(invented(r)) + "\" after a " + pick(r, ADJECTIVES) + " place near "
                    + town(r) + ".";
            case 0 -> "On " + pick(r, WEEKDAYS) + " morning " + who + " went to the " + pick(r, PLACES) + " in "
                    + town(r) + ".";
            case 1 -> "When " + who + " left the house, " + pick(r, WEATHER) + ".";
            case 2 -> who + " " + pick(r, VERBS_PAST) + " the " + pick(r, ADJECTIVES) + " " + pick(r, OBJECTS)
                    + " and felt " + pick(r, FEELINGS) + ".";
            case 3 -> "For dinner they had " + pick(r, FOODS) + " with " + pick(r, FOODS) + ", and "
                    + other + " made " + pick(r, FOODS) + " for dessert.";
            case 4 -> "\"Have you seen my " + pick(r, OBJECTS) + "?\" asked " + who + ". \"I think it's in the "
                    + pick(r, PLACES) + ",\" said " + other + ".";
            case 5 -> who + " and " + other + " talked about " + pick(r, TOPICS) + " for " + (2 + r.nextInt(50))
                    + " minutes.";
            case 6 -> "The " + pick(r, ADJECTIVES) + " " + pick(r, OBJECTS) + " cost " + price(r) + ", which "
                    + who + " thought was " + (r.nextBoolean() ? "too much" : "a fair price") + ".";
            case 7 -> "In " + pick(r, MONTHS) + " " + who + " usually visits " + other + " in " + town(r)
                    + ", a trip of about " + (20 + r.nextInt(400)) + " km.";
            case 8 -> "It's not easy to " + pick(r, new String[]{"wake up early", "learn a new language",
                    "keep a garden tidy", "fix an old bicycle", "cook for twelve people", "find a quiet cafe"})
                    + ", but " + who + " didn't give up.";
            case 9 -> who + "'s " + pick(r, new String[]{"sister", "brother", "neighbour", "teacher", "friend",
                    "grandmother", "colleague"}) + " works at the " + pick(r, PLACES) + " and starts at "
                    + time(r) + ".";
            case 10 -> "The train to " + town(r) + " was " + (1 + r.nextInt(40)) + " minutes late, so " + who
                    + " read about " + pick(r, TOPICS) + ".";
            default -> "They'll meet again on " + pick(r, WEEKDAYS) + ", " + (1 + r.nextInt(28)) + " "
                    + pick(r, MONTHS) + ", if the " + pick(r, OBJECTS) + " is " + pick(r, ADJECTIVES) + " by then.";
        };
    }

    private static String list(Random r) {
        StringBuilder sb = new StringBuilder();
        String title = pick(r, new String[]{"Shopping list", "Things to pack", "To do this week", "Ideas for "
                + town(r)});
        sb.append("## ").append(title).append("\n\n");
        int n = 3 + r.nextInt(6);
        boolean numbered = r.nextBoolean();
        for (int i = 0; i < n; i++) {
            sb.append(numbered ? (i + 1) + ". " : "- ");
            sb.append(switch (r.nextInt(3)) {
                case 0 -> (1 + r.nextInt(6)) + " " + pick(r, FOODS);
                case 1 -> "the " + pick(r, ADJECTIVES) + " " + pick(r, OBJECTS);
                default -> "call " + person(r) + " about " + pick(r, TOPICS);
            }).append('\n');
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- numbers

    private static String price(Random r) {
        return pick(r, new String[]{"$", "€", "£"}) + r.nextInt(200) + "." + String.format(Locale.ROOT, "%02d", r.nextInt(100));
    }

    private static String time(Random r) {
        return String.format(Locale.ROOT, "%02d:%02d", 6 + r.nextInt(14), 5 * r.nextInt(12));
    }

    private static String numbers(Random r) {
        StringBuilder sb = new StringBuilder();
        int lines = 4 + r.nextInt(8);
        for (int i = 0; i < lines; i++) {
            int a = r.nextInt(1000), b = 1 + r.nextInt(100);
            sb.append(switch (r.nextInt(10)) {
                case 0 -> "What is " + a + " + " + b + "? " + a + " + " + b + " = " + (a + b) + ".";
                case 1 -> "Compute " + a + " - " + b + ". The answer is " + (a - b) + ".";
                case 2 -> b + " × " + (a % 50) + " = " + (b * (a % 50));
                case 3 -> a * b + " / " + b + " = " + a;
                case 4 -> "If one " + pick(r, OBJECTS) + " costs " + b + " dollars, then " + (a % 20 + 2)
                        + " of them cost " + b * (a % 20 + 2) + " dollars.";
                case 5 -> (a % 100) + "% of " + b * 10 + " is " + String.format(Locale.ROOT, "%.1f", (a % 100) * b / 10.0) + ".";
                case 6 -> "The meeting is on " + (2000 + a % 30) + "-" + String.format(Locale.ROOT, "%02d-%02d", 1 + b % 12,
                        1 + a % 28) + " at " + time(r) + ".";
                case 7 -> a + " m = " + String.format(Locale.ROOT, "%.3f", a / 1000.0) + " km; " + b + " kg = " + b * 1000 + " g.";
                case 8 -> "Is " + a + " even? " + (a % 2 == 0 ? "Yes" : "No") + ", because " + a + " mod 2 = "
                        + a % 2 + ".";
                default -> "The population of " + town(r) + " grew from " + String.format(Locale.ROOT, "%,d", a * 37 + 1000)
                        + " to " + String.format(Locale.ROOT, "%,d", a * 41 + 1200) + ".";
            }).append('\n');
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- code

    private static String camel(String verb, String noun) {
        return verb + capitalized(noun);
    }

    private static String code(Random r) {
        String v = pick(r, VERBS_CODE), n = pick(r, NOUNS_CODE), m = r.nextInt(3) == 0 ? invented(r) : pick(r, NOUNS_CODE);
        int k = 1 + r.nextInt(64);
        return switch (r.nextInt(7)) {
            case 0 -> "public static int " + camel(v, n) + "(int[] " + m + "s, int limit) {\n"
                    + "    int total = 0;\n"
                    + "    for (int i = 0; i < " + m + "s.length; i++) {\n"
                    + "        if (" + m + "s[i] > limit) {\n"
                    + "            total += " + m + "s[i] * " + k + ";\n"
                    + "        }\n"
                    + "    }\n"
                    + "    return total;\n"
                    + "}\n";
            case 1 -> "def " + v + "_" + n + "(" + m + "s, limit=" + k + "):\n"
                    + "    \"\"\"Return the " + m + "s above limit.\"\"\"\n"
                    + "    result = []\n"
                    + "    for " + m + " in " + m + "s:\n"
                    + "        if " + m + " > limit:\n"
                    + "            result.append(" + m + ")\n"
                    + "    return result\n\n"
                    + "print(" + v + "_" + n + "([" + k + ", " + (k * 3) + ", " + (k + 7) + "]))\n";
            case 2 -> "const " + camel(v, n) + " = async (" + m + "Id) => {\n"
                    + "  const response = await fetch(`/api/" + n + "s/${" + m + "Id}`);\n"
                    + "  if (!response.ok) {\n"
                    + "    throw new Error(\"failed to " + v + " " + n + ": \" + response.status);\n"
                    + "  }\n"
                    + "  return response.json();\n"
                    + "};\n";
            case 3 -> "#include <stdio.h>\n\n"
                    + "static int " + v + "_" + n + "(const int *" + m + ", size_t len) {\n"
                    + "    int best = " + m + "[0];\n"
                    + "    for (size_t i = 1; i < len; ++i)\n"
                    + "        if (" + m + "[i] > best) best = " + m + "[i];\n"
                    + "    return best;\n"
                    + "}\n\n"
                    + "int main(void) {\n"
                    + "    int data[] = {" + k + ", " + (k * 2) + ", " + (k + 5) + "};\n"
                    + "    printf(\"%d\\n\", " + v + "_" + n + "(data, 3));\n"
                    + "    return 0;\n"
                    + "}\n";
            case 4 -> "SELECT " + n + "_id, COUNT(*) AS " + m + "_count\n"
                    + "FROM " + n + "s\n"
                    + "WHERE created_at >= '2024-" + String.format(Locale.ROOT, "%02d", 1 + r.nextInt(12)) + "-01'\n"
                    + "GROUP BY " + n + "_id\n"
                    + "HAVING COUNT(*) > " + k + "\n"
                    + "ORDER BY " + m + "_count DESC\n"
                    + "LIMIT " + (10 + r.nextInt(90)) + ";\n";
            case 5 -> "#!/bin/sh\n"
                    + "set -eu\n"
                    + "for f in ./" + n + "s/*.txt; do\n"
                    + "  echo \"" + v + " $f\"\n"
                    + "  wc -l \"$f\" >> " + m + ".log\n"
                    + "done\n"
                    + "grep -c " + v + " " + m + ".log || true\n";
            default -> "{\n"
                    + "  \"" + n + "\": \"" + invented(r) + "\",\n"
                    + "  \"" + m + "\": " + k + ",\n"
                    + "  \"enabled\": " + r.nextBoolean() + ",\n"
                    + "  \"tags\": [\"" + v + "\", \"" + pick(r, ADJECTIVES) + "\"],\n"
                    + "  \"ratio\": " + String.format(Locale.ROOT, "%.2f", k / 7.0) + "\n"
                    + "}\n";
        };
    }

    // ---------------------------------------------------------------- other languages

    /** Simple sentences composed for slmops; %s is replaced by a name. */
    private static final String[][] PHRASES = {
            {"Bonjour, je m'appelle %s.", "Il fait beau aujourd'hui.", "Nous allons au marché ce matin.",
                    "Le pain est encore chaud.", "Où est la gare, s'il vous plaît ?", "Merci beaucoup, à demain !",
                    "%s lit un livre dans le jardin.", "J'aime le café très fort."},
            {"Guten Morgen, ich heiße %s.", "Das Wetter ist heute schön.", "Wir fahren morgen nach Berlin.",
                    "Die Straße ist nass und kalt.", "Wo ist der Bahnhof?", "Vielen Dank für die Hilfe!",
                    "%s trinkt gern grünen Tee.", "Über den Fluss führt eine alte Brücke."},
            {"Hola, me llamo %s.", "Hoy hace mucho calor.", "¿Dónde está la biblioteca?", "Mañana vamos a la playa.",
                    "La niña come una manzana.", "¡Qué día tan bonito!", "%s trabaja en una oficina pequeña.",
                    "El tren sale a las ocho."},
            {"Ciao, mi chiamo %s.", "Oggi il cielo è sereno.", "Andiamo al mercato insieme.",
                    "La pasta è pronta.", "Dov'è la stazione?", "Grazie mille e buona giornata!",
                    "%s scrive una lettera al nonno.", "Il gatto dorme sul divano."},
            {"Olá, o meu nome é %s.", "Hoje está um dia lindo.", "Vamos jantar às nove horas.",
                    "A cidade fica perto do mar.", "Onde fica a farmácia?", "Obrigado pela ajuda!",
                    "%s gosta de música e de futebol.", "O pão está em cima da mesa."},
            {"Hallo, ik heet %s.", "Het regent vandaag.", "We fietsen naar de markt.", "De koffie is erg heet.",
                    "Waar is het station?", "Dank je wel!", "%s woont in een klein huis.", "Morgen is het zaterdag."},
            {"Cześć, mam na imię %s.", "Dzisiaj jest bardzo zimno.", "Idziemy do sklepu po chleb.",
                    "Gdzie jest dworzec?", "Dziękuję za pomoc!", "%s czyta gazetę w kuchni."},
            {"Merhaba, benim adım %s.", "Bugün hava çok güzel.", "Yarın denize gidiyoruz.", "İstasyon nerede?",
                    "Çok teşekkür ederim!", "%s sabahları çay içer."},
            {"Привет, меня зовут %s.", "Сегодня очень холодно.", "Мы идём в магазин за хлебом.",
                    "Где находится вокзал?", "Большое спасибо!", "%s читает книгу в парке.",
                    "Завтра будет солнечно.", "Чай уже готов."},
            {"Γεια σου, με λένε %s.", "Σήμερα κάνει ζέστη.", "Πάμε στη θάλασσα αύριο.", "Πού είναι ο σταθμός;",
                    "Ευχαριστώ πολύ!", "Ο καφές είναι έτοιμος."},
            {"مرحبا، اسمي %s.", "الطقس جميل اليوم.", "نذهب إلى السوق في الصباح.", "أين محطة القطار؟",
                    "شكرا جزيلا!", "القهوة ساخنة جدا."},
            {"नमस्ते, मेरा नाम %s है।", "आज मौसम बहुत अच्छा है।", "हम कल बाज़ार जाएंगे।", "स्टेशन कहाँ है?",
                    "बहुत धन्यवाद!", "चाय तैयार है।"},
            {"你好，我叫%s。", "今天天气很好。", "我们明天去公园。", "火车站在哪里？", "谢谢你的帮助！", "%s喜欢喝茶。",
                    "这本书很有意思。", "晚饭已经做好了。"},
            {"こんにちは、%sです。", "今日はとても暑いです。", "明日は海に行きます。", "駅はどこですか？",
                    "ありがとうございます！", "%sさんは毎朝コーヒーを飲みます。", "この本はおもしろいです。"},
            {"안녕하세요, 제 이름은 %s입니다.", "오늘 날씨가 좋아요.", "우리는 내일 시장에 가요.", "역이 어디에 있어요?",
                    "정말 감사합니다!", "%s 씨는 차를 좋아해요."},
            {"Xin chào, tôi tên là %s.", "Hôm nay trời đẹp quá.", "Chúng tôi đi chợ vào buổi sáng.",
                    "Nhà ga ở đâu?", "Cảm ơn bạn rất nhiều!", "%s thích uống cà phê sữa."},
    };

    private static String otherLanguage(Random r) {
        String[] phrases = PHRASES[r.nextInt(PHRASES.length)];
        StringBuilder sb = new StringBuilder();
        int n = 3 + r.nextInt(6);
        boolean cjk = phrases == PHRASES[12] || phrases == PHRASES[13];
        String name = person(r);
        for (int i = 0; i < n; i++) {
            if (i > 0) sb.append(cjk ? "" : r.nextInt(4) == 0 ? "\n" : " ");
            sb.append(pick(r, phrases).replace("%s", name));
        }
        return sb.append('\n').toString();
    }

    // ---------------------------------------------------------------- chats

    private static String chat(Random r) {
        StringBuilder sb = new StringBuilder();
        if (r.nextBoolean()) sb.append("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n");
        int turns = 1 + r.nextInt(3);
        for (int t = 0; t < turns; t++) {
            int a = r.nextInt(100), b = r.nextInt(100);
            String[] qa = switch (r.nextInt(4)) {
                case 0 -> new String[]{"What is " + a + " plus " + b + "?", a + " plus " + b + " is " + (a + b) + "."};
                case 1 -> new String[]{"Can you suggest something to cook with " + pick(r, FOODS) + "?",
                        "Sure! Try a simple " + pick(r, FOODS) + " dish: cook it for " + (5 + a % 30)
                                + " minutes and add " + pick(r, FOODS) + "."};
                case 2 -> new String[]{"How do I " + pick(r, VERBS_CODE) + " a " + pick(r, NOUNS_CODE) + " in Python?",
                        "You can write a small function:\n\n```python\n" + code(r).lines().findFirst().orElse("")
                                + "\n```\n\nThen call it with your data."};
                default -> new String[]{"Tell me something about " + town(r) + ".",
                        "It is a " + pick(r, ADJECTIVES) + " town with a " + pick(r, PLACES) + " and about "
                                + (1000 + a * 97) + " people."};
            };
            sb.append("<|im_start|>user\n").append(qa[0]).append("<|im_end|>\n");
            sb.append("<|im_start|>assistant\n").append(qa[1]).append("<|im_end|>\n");
        }
        return sb.toString();
    }
}
