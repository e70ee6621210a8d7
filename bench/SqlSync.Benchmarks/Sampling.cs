namespace SqlSync.Benchmarks;

/// <summary>The samples of one measured quantity across trials, and their median.</summary>
internal sealed class Samples
{
    private readonly List<double> _values = new();

    public IReadOnlyList<double> Values => _values;

    public double Median => MedianOf(_values);

    public double Min => _values.Count == 0 ? double.NaN : _values.Min();

    public double Max => _values.Count == 0 ? double.NaN : _values.Max();

    /// <summary>(max - min) / median: how far apart the trials were.</summary>
    public double Spread => _values.Count == 0 ? double.NaN : (Max - Min) / Median;

    public void Add(double value) => _values.Add(value);

    public static double MedianOf(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        double[] sorted = values.Order().ToArray();
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}

/// <summary>
/// Runs named variants side by side in rounds: each round runs every variant once (the order rotates from
/// round to round), so a slow spell on the shared machine hits all variants alike and per-round ratios stay
/// meaningful. The first rounds are warm-up and are discarded.
/// </summary>
internal sealed class Rounds
{
    private readonly List<(string Name, Func<double> Trial)> _variants = new();

    public Rounds Add(string name, Func<double> trial)
    {
        _variants.Add((name, trial));
        return this;
    }

    public Dictionary<string, Samples> Run(int warmupRounds, int rounds, Action<string>? log = null)
    {
        var samples = _variants.ToDictionary(v => v.Name, _ => new Samples(), StringComparer.Ordinal);
        for (int round = 0; round < warmupRounds + rounds; round++)
        {
            for (int i = 0; i < _variants.Count; i++)
            {
                (string name, Func<double> trial) = _variants[(i + round) % _variants.Count];
                double value = trial();
                bool warm = round < warmupRounds;
                log?.Invoke($"  {(warm ? "warm-up" : $"round {round - warmupRounds + 1}")}: {name} = {value:N1}");
                if (!warm)
                {
                    samples[name].Add(value);
                }
            }
        }

        return samples;
    }

    /// <summary>Per-round ratio of two variants' samples (same round index), then their median.</summary>
    public static Samples Ratio(Samples numerator, Samples denominator)
    {
        var ratio = new Samples();
        for (int i = 0; i < Math.Min(numerator.Values.Count, denominator.Values.Count); i++)
        {
            ratio.Add(numerator.Values[i] / denominator.Values[i]);
        }

        return ratio;
    }
}
