package dev.kiln.api.models;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import jakarta.enterprise.context.ApplicationScoped;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.errors.ApiException;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;

/**
 * The configured models ({@code kiln.api.models.*}), their per-image prices, and the other names a
 * request may use for them ({@code kiln.api.model-aliases.*}).
 */
@ApplicationScoped
public class ModelCatalog {
    /** Prefix of OpenAI's GPT image model names, whose clients expect {@code b64_json} by default. */
    private static final String GPT_IMAGE_PREFIX = "gpt-image-";

    /** One catalog entry. */
    public record Model(String id, long priceMicrosPerImage, String ownedBy) {
    }

    /**
     * A model as a request named it.
     *
     * @param model the catalog entry
     * @param requested the name used (the model's id, an alias, or the default model's id when none was given)
     */
    public record Resolved(Model model, String requested) {
        /** Asked for by one of OpenAI's GPT image names: such clients read {@code b64_json}, never URLs. */
        public boolean isGptImageAlias() {
            return requested.startsWith(GPT_IMAGE_PREFIX);
        }
    }

    /** An alias and the model it names. */
    public record Alias(String alias, Model model) {
    }

    private final Map<String, Model> models = new TreeMap<>();
    private final Map<String, Model> aliases = new TreeMap<>();
    private final String defaultModel;

    public ModelCatalog(ApiConfig config) {
        config.models().forEach((id, m) -> models.put(id, new Model(id, m.priceMicrosPerImage(), m.ownedBy())));
        for (Model m : models.values()) {
            if (m.priceMicrosPerImage() < 0) {
                throw new IllegalStateException("negative price for model " + m.id());
            }
        }
        config.modelAliases().forEach((alias, target) -> {
            Model m = models.get(target);
            if (m == null) {
                throw new IllegalStateException("kiln.api.model-aliases.\"" + alias + "\" names '" + target
                        + "', which is not in kiln.api.models");
            }
            // A model configured under an alias's name (e.g. a priced "sd-1.5") is meant to replace the alias.
            if (!models.containsKey(alias)) {
                aliases.put(alias, m);
            }
        });
        if (!models.containsKey(config.defaultModel())) {
            throw new IllegalStateException("kiln.api.default-model '" + config.defaultModel() + "' is not in kiln.api.models");
        }
        this.defaultModel = config.defaultModel();
    }

    public List<Model> all() {
        return List.copyOf(models.values());
    }

    public List<Alias> aliases() {
        return aliases.entrySet().stream().map(e -> new Alias(e.getKey(), e.getValue())).toList();
    }

    /** The model, or 404 model_not_found naming {@code param}. */
    public Model require(String id, String param) {
        return resolve(id, param).model();
    }

    /** The model a request names by id or alias (the default model when {@code id} is null), or 404 naming {@code param}. */
    public Resolved resolve(String id, String param) {
        String name = id == null ? defaultModel : id;
        Model m = models.get(name);
        if (m == null) {
            m = aliases.get(name);
        }
        if (m == null) {
            throw new ApiException(ErrorType.NOT_FOUND, "The model '" + id + "' does not exist.", param,
                    ErrorCodes.MODEL_NOT_FOUND);
        }
        return new Resolved(m, name);
    }
}
