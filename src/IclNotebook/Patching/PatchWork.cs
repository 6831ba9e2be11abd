namespace IclNotebook.Patching;

/// <summary>
/// One unit of an engine's planned work on one target: the flat grid indices it computes, its
/// estimated arithmetic (what <see cref="PatchShard.Split"/> balances shards by), and how to compute
/// them. A unit with no forward (<see cref="Forwards"/> 0) holds values known without running the
/// model, e.g. patches that change nothing.
/// </summary>
/// <param name="Flats">Row-major indices into the target's grid, in the order <paramref name="Compute"/> returns their values.</param>
/// <param name="Flop">Estimated floating-point operations.</param>
/// <param name="Forwards">Forward calls the unit makes.</param>
/// <param name="Compute">The metric of every prompt for each of <paramref name="Flats"/>: [flat][prompt].</param>
internal sealed record PatchWork(int[] Flats, double Flop, int Forwards, Func<double[][]> Compute);
