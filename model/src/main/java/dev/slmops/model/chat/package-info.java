/**
 * Chat templates: the Jinja templates models ship ({@code tokenizer_config.json} {@code chat_template}, GGUF
 * {@code tokenizer.chat_template}) rendered with Jinjava so the text is byte-identical to transformers.js's
 * {@code apply_chat_template(messages, {tokenize: false})} (npm @huggingface/transformers 4.3.1, whose Jinja
 * runtime is @huggingface/jinja 0.5.11). {@code ChatTemplateParityTest} checks this over 600+ renders.
 *
 * <p>Public API: {@link dev.slmops.model.chat.ChatTemplate}, {@link dev.slmops.model.chat.ChatMessage},
 * {@link dev.slmops.model.chat.ToolCall}, {@link dev.slmops.model.chat.RenderOptions}. A model without a template
 * gets ChatML ({@code <|im_start|>role\ncontent<|im_end|>\n}, generation prompt {@code <|im_start|>assistant\n});
 * {@code ChatTemplate.isFallback()} / {@code source()} tell.
 *
 * <h2>Where Jinjava differs from the reference, and the fix (the one list of them)</h2>
 * <table>
 * <tr><th>difference</th><th>fix</th><th>where</th></tr>
 * <tr><td>whitespace: HF compiles with trim_blocks + lstrip_blocks and drops one trailing newline; transformers.js
 *     applies them as source regexes and strips around {@code {%- -%}} with JS's {@code \s}; Jinjava's rules
 *     differ in details</td>
 *     <td>all whitespace handling done in a preprocessing pass (transformers.js's rules); Jinjava's trim/lstrip
 *     off and hyphens removed</td><td>{@code TemplatePreprocessor}</td></tr>
 * <tr><td>{@code {% generation %}} blocks (HF's assistant-mask markers) unknown to Jinjava</td>
 *     <td>removed in preprocessing, honoring their hyphens</td><td>{@code TemplatePreprocessor}</td></tr>
 * <tr><td>comments {@code {#- -#}}, string-literal escapes ({@code \n \t \v \xHH}...)</td>
 *     <td>comments dropped, literals decoded by JS rules and re-spelled for Jinjava</td>
 *     <td>{@code TemplatePreprocessor}</td></tr>
 * <tr><td>slices: Jinjava has {@code [a:b]} only (no step, so no {@code messages[::-1]})</td>
 *     <td>every slice becomes a subscript by a slice marker, resolved with Python/JS slice rules on lists and
 *     strings (code points)</td><td>{@code TemplatePreprocessor}, {@code TemplateMethodResolver}</td></tr>
 * <tr><td>precedence: Jinjava reads {@code not a|length == 1} as {@code (not a) == 1} and
 *     {@code f(k=a - 1)} as {@code f((k=a) - 1)}</td>
 *     <td>the operand of {@code not} and keyword-argument values are parenthesized</td>
 *     <td>{@code TemplatePreprocessor}</td></tr>
 * <tr><td>method calls: Jinjava calls Java methods ({@code "s".startswith(x)} fails, {@code strip()} is
 *     Java's)</td>
 *     <td>str strip/lstrip/rstrip/upper/lower/title/capitalize/startswith/endswith/split/replace, dict
 *     get/items/keys/values, negative indexes, {@code .length}: resolved first by our ELResolver</td>
 *     <td>{@code TemplateMethodResolver}</td></tr>
 * <tr><td>printing values: Jinjava prints dicts as {@code {a=1}}, lists Python-style, floats its way</td>
 *     <td>every {@code {{ }}} goes through a display filter with JS's spelling (JSON for lists/dicts, "2.0" for
 *     floats, "true"/"false", none → "")</td><td>{@code TemplatePreprocessor}, {@code JsValues}</td></tr>
 * <tr><td>{@code tojson}: Jinjava's is compact Jackson output</td>
 *     <td>our filter: Python json.dumps layout (", " and ": "; "," with indent), indent, ensure_ascii (off by
 *     default), separators, sort_keys</td><td>{@code TemplateFilters}, {@code JsValues}</td></tr>
 * <tr><td>{@code loop}: no previtem/nextitem; no {@code for x in xs if cond}; {@code {% else %}} in a for
 *     renders on every iteration</td>
 *     <td>our for tag: index, index0, revindex, revindex0, first, last, length, previtem, nextitem; inline
 *     filter (loop counts kept items); else only when nothing was iterated; break/continue still work</td>
 *     <td>{@code TemplateForTag}</td></tr>
 * <tr><td>Jinjava ends a tag at the first {@code }}} / {@code %}}, even inside a string or a nested dict</td>
 *     <td>such literals are split and joined with {@code ~}; a space goes between closing braces</td>
 *     <td>{@code TemplatePreprocessor}</td></tr>
 * <tr><td>filters trim/indent/items/string/title/capitalize differ; unknown filters silently give none and
 *     unknown tests false</td>
 *     <td>ours registered over Jinjava's; unknown filters and tests fail when reached, as in transformers.js</td>
 *     <td>{@code TemplateFilters}, {@code TemplatePreprocessor}</td></tr>
 * <tr><td>tests string/mapping/none/true/false/boolean/number/integer/iterable/sequence</td>
 *     <td>ours, by JS types (a namespace is not a mapping)</td><td>{@code TemplateFilters}</td></tr>
 * <tr><td>none vs undefined: Jinjava has one null for both (and its context and {@code namespace(k=none)} drop
 *     none values), transformers.js tells them apart</td>
 *     <td>{@code a.k is defined/undefined/none} and {@code a['k'] ...} become calls that look at the container (is
 *     the key there at all); {@code name is defined} is true for variables given to the render even as none;
 *     {@code name is none} for a name the template never assigns is true only if it was given as none;
 *     {@code namespace(...)} is ours and keeps none values</td>
 *     <td>{@code TemplatePreprocessor}, {@code TemplateFunctions}</td></tr>
 * <tr><td>{@code ==} on dicts: Jinjava (like Python) compares contents, transformers.js identity (Mistral's
 *     {@code message == user_messages[-1]} picks the last user turn only there)</td>
 *     <td>dicts given to the template are {@code InputDict}s, equal only to themselves</td>
 *     <td>{@code InputDict}, {@code ChatTemplate}</td></tr>
 * <tr><td>raise_exception, strftime_now missing</td>
 *     <td>functions; raise_exception and any fatal template error become IllegalArgumentException with the
 *     template's message; strftime_now knows %Y %m %d %b %B %H %M %% (others kept, as in transformers.js)</td>
 *     <td>{@code TemplateFunctions}, {@code TemplateEngine}</td></tr>
 * <tr><td>nested interpretation: Jinjava re-renders printed text that contains "&#123;&#123;"</td>
 *     <td>turned off: message text is never template code</td><td>{@code TemplateEngine}</td></tr>
 * </table>
 *
 * <h2>Where transformers.js itself differs from Python's Jinja (we follow transformers.js)</h2>
 * {@code strip(chars)}/{@code lstrip}/{@code rstrip} ignore their argument and strip all whitespace;
 * {@code title()}/{@code capitalize()} do not lower-case the rest; {@code {{ true }}} prints "true";
 * ensure_ascii also escapes U+007F.
 *
 * <h2>Known differences left</h2>
 * A name the template itself sets to none: {@code x is defined} is false (transformers.js: true), and for such
 * names {@code x is none} is also true when unset. {@code in} on a list of mixed types can miss
 * ({@code 'x' in [1, 'x']} is false: Jinjava coerces). Tests and filters Jinjava has and transformers.js lacks
 * ({@code is sameas}, {@code |round}) work here where transformers.js fails.
 * Some errors transformers.js reports when compiling show only when the failing part renders; operations
 * transformers.js refuses ({@code 'a' + none}, {@code 'x' in none}) may render here instead of failing.
 */
package dev.slmops.model.chat;
