using System.Text.Json.Serialization;
using IclNotebook.Icl;
using IclNotebook.Metrics;
using IclNotebook.Model;

namespace IclNotebook.Patching;

/// <summary>Run settings recorded with every result (in JSON by their command-line names).</summary>
/// <param name="Model">Model name.</param>
/// <param name="Processing">Weight processing.</param>
/// <param name="DType">The model's dtype (what stays float32 inside a half-precision model: <c>Model.Precision</c>).</param>
/// <param name="Engine">What computed the values.</param>
/// <param name="Metric">What the metric measures and where it reads.</param>
/// <param name="Unit">The values' unit.</param>
/// <param name="Read">Where the metric reads; null where the caller gave the positions (<c>"given"</c> in JSON).</param>
/// <param name="Replay">How the corruption was replayed; null where the caller gave the corrupted tokens (<c>"given"</c>).</param>
public sealed record PatchSettings(
    string Model,
    [property: JsonConverter(typeof(OptionNameJson<WeightProcessing>))] WeightProcessing Processing,
    [property: JsonConverter(typeof(OptionNameJson<ModelDType>))]
    [property: JsonPropertyName("dtype")] ModelDType DType,
    [property: JsonConverter(typeof(OptionNameJson<PatchEngineKind>))] PatchEngineKind Engine,
    string Metric,
    [property: JsonConverter(typeof(OptionNameJson<MetricUnit>))] MetricUnit Unit,
    [property: JsonConverter(typeof(GivenOrOptionNameJson<MetricRead>))] MetricRead? Read,
    [property: JsonConverter(typeof(GivenOrOptionNameJson<CorruptionReplay>))] CorruptionReplay? Replay)
{
    /// <summary>False for attribution patching, an approximation; true for the engines that compute each patch.</summary>
    [JsonIgnore]
    public bool IsExact => Engine != PatchEngineKind.Attribution;

    /// <summary>The engine as a reader should see it: <c>fast</c>, <c>attribution (approximate)</c>.</summary>
    [JsonIgnore]
    public string EngineLabel => OptionNames.Name(Engine) + (IsExact ? "" : " (approximate)");

    /// <summary>The unit's name: <c>nats</c>, <c>logits</c>, <c>probability</c>.</summary>
    [JsonIgnore]
    public string UnitName => OptionNames.Name(Unit);
}
