namespace IclNotebook.Icl.Datasets;

/// <summary>What a dataset task's prompts were drawn from and how: recorded in results.json so a run names its exact data.</summary>
/// <param name="Dataset">The pairs file.</param>
/// <param name="Sha256">Its SHA-256.</param>
/// <param name="Pairs">How many pairs it has.</param>
/// <param name="Sampling">Shots, prompts and seed.</param>
public sealed record DatasetOrigin(string Dataset, string Sha256, int Pairs, DatasetSampling Sampling);
