package dev.kiln.api.streaming;

import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;

import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.Provider;

import org.jboss.resteasy.reactive.server.spi.ResteasyReactiveResourceInfo;
import org.jboss.resteasy.reactive.server.spi.ServerMessageBodyWriter;
import org.jboss.resteasy.reactive.server.spi.ServerRequestContext;

/**
 * Writes an {@link SseBody} without holding a thread: the status and headers of the JAX-RS response go out
 * with the first write, chunked, and the stream ends the response when it is done. The resources keep
 * answering errors as ordinary JSON until they return such a body.
 */
@Provider
@Produces(MediaType.SERVER_SENT_EVENTS)
public class SseBodyWriter implements ServerMessageBodyWriter<SseBody> {

    @Override
    public boolean isWriteable(Class<?> type, Type genericType, ResteasyReactiveResourceInfo target,
            MediaType mediaType) {
        return SseBody.class.isAssignableFrom(type);
    }

    @Override
    public void writeResponse(SseBody body, Type genericType, ServerRequestContext context) {
        context.serverResponse().setChunked(true);
        body.start(context.serverResponse());
    }

    @Override
    public boolean isWriteable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
        return SseBody.class.isAssignableFrom(type);
    }

    @Override
    public void writeTo(SseBody body, Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType,
            MultivaluedMap<String, Object> headers, OutputStream out) {
        throw new UnsupportedOperationException("an event stream is written through the server response only");
    }
}
