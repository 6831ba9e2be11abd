namespace IclNotebook.Icl;

/// <summary>
/// One labelled example: a demonstration shown in the prompt, or a query whose label is the
/// expected answer. No defaults: both are required and non-empty.
/// </summary>
/// <param name="Input">The text substituted for <c>{input}</c> (e.g. a review).</param>
/// <param name="Label">The text substituted for <c>{label}</c> (e.g. <c>positive</c>), without
/// the leading space the answer template adds.</param>
public sealed record IclExample(string Input, string Label);
