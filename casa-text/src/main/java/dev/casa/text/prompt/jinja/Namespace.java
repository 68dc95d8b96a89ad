package dev.casa.text.prompt.jinja;

import java.util.LinkedHashMap;
import java.util.Map;

/** The mutable object made by {@code namespace(...)}: the one thing {@code set ns.x = ...} may change. */
final class Namespace {
    final Map<String, Object> values = new LinkedHashMap<>();
}
