package dev.casa.text.prompt.jinja;

import java.util.List;
import java.util.Map;

/** A function a template can call: a global, a macro or a bound method. */
@FunctionalInterface
interface Callable {
    Object call(List<Object> args, Map<String, Object> kwargs);
}
