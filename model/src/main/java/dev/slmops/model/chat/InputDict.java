package dev.slmops.model.chat;

import com.hubspot.jinjava.objects.collections.PyMap;

import java.util.LinkedHashMap;

/**
 * A dict given to a template (a message, a tool call, a tool definition): ordered, and equal only to itself,
 * as objects compare in transformers.js ({@code message == messages[-1]} asks "is it the same message", so two
 * user turns that both say "Hi" are different). Jinjava hands templates its own wrapper around the dict, so a
 * wrapper of the same dict counts as the same dict.
 */
final class InputDict extends LinkedHashMap<String, Object> {
    @Override
    public boolean equals(Object o) {
        return o == this || (o instanceof PyMap wrapper && wrapper.toMap() == this);
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
