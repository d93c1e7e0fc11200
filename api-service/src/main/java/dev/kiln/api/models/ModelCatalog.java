package dev.kiln.api.models;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.errors.ApiException;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The configured models ({@code kiln.api.models.*}) and their per-image prices. */
@ApplicationScoped
public class ModelCatalog {
    /** One catalog entry. */
    public record Model(String id, long priceMicrosPerImage, String ownedBy) {
    }

    private final Map<String, Model> models = new TreeMap<>();
    private final String defaultModel;

    public ModelCatalog(ApiConfig config) {
        config.models().forEach((id, m) -> models.put(id, new Model(id, m.priceMicrosPerImage(), m.ownedBy())));
        for (Model m : models.values()) {
            if (m.priceMicrosPerImage() < 0) {
                throw new IllegalStateException("negative price for model " + m.id());
            }
        }
        if (!models.containsKey(config.defaultModel())) {
            throw new IllegalStateException("kiln.api.default-model '" + config.defaultModel() + "' is not in kiln.api.models");
        }
        this.defaultModel = config.defaultModel();
    }

    public List<Model> all() {
        return List.copyOf(models.values());
    }

    /** The model, or 404 not_found naming {@code param}. */
    public Model require(String id, String param) {
        Model m = models.get(id == null ? defaultModel : id);
        if (m == null) {
            throw new ApiException(ErrorType.NOT_FOUND, "The model '" + id + "' does not exist.", param,
                    ErrorCodes.MODEL_NOT_FOUND);
        }
        return m;
    }
}
