package dev.kiln.devstack.quarkus;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@code DevStack} field of a {@code @QuarkusTest} that {@link DevStackTestResource} fills with the
 * running stack (e.g. to call {@code restartRedis()}).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface InjectDevStack {
}
