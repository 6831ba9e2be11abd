namespace IclNotebook.Icl;

/// <summary>
/// SplitMix64 (Steele, Lea &amp; Flood 2014): a tiny PRNG whose output for a seed is fixed by its
/// definition, so a shuffle seed gives the same result on every runtime, OS and machine
/// (<see cref="Random"/>'s seeded sequence is an implementation detail of .NET).
/// </summary>
internal struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, <paramref name="n"/>) (rejection sampling, no modulo bias).</summary>
    public int NextInt(int n)
    {
        ulong bound = (ulong)n;
        ulong limit = ulong.MaxValue - (ulong.MaxValue % bound);
        ulong x;
        do { x = Next(); } while (x >= limit);
        return (int)(x % bound);
    }
}
