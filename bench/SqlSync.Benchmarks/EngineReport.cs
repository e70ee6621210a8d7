using System.Globalization;
using System.Text;

namespace SqlSync.Benchmarks;

/// <summary>The figures of one engine run: every measured quantity, and the targets checked against them.</summary>
internal sealed class EngineReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public List<Figure> Figures { get; } = new();

    public List<TargetCheck> Targets { get; } = new();

    public List<string> Notes { get; } = new();

    /// <summary>The ablation table (<see cref="Benchmarks.Breakdown"/>), when it ran.</summary>
    public string Breakdown { get; set; } = string.Empty;

    public void AddFigure(string name, string unit, Samples samples) =>
        Figures.Add(new Figure(name, unit, samples.Median, samples.Min, samples.Max, samples.Values.Count));

    public void AddFigure(string name, string unit, double value) =>
        Figures.Add(new Figure(name, unit, value, value, value, 1));

    /// <summary>Checks <paramref name="value"/> against a target: at least (<paramref name="atLeast"/>) or at most.</summary>
    public void AddTarget(string name, double value, double target, bool atLeast, string unit, string detail = "")
    {
        bool pass = atLeast ? value >= target : value <= target;
        string format = unit == "x" ? "0.00" : "N1";
        Targets.Add(new TargetCheck(name, Format(value, format) + Space(unit),
            (atLeast ? "≥ " : "≤ ") + Format(target, format) + Space(unit), pass, detail));
    }

    /// <summary>The targets as a table (Markdown pipes also read well in a terminal).</summary>
    public string TargetTable()
    {
        var text = new StringBuilder();
        text.AppendLine("| Figure | Measured | Target | Result |");
        text.AppendLine("|---|---:|---:|:---:|");
        foreach (TargetCheck target in Targets)
        {
            string detail = target.Detail.Length == 0 ? string.Empty : $" ({target.Detail})";
            text.AppendLine(Invariant, $"| {target.Name}{detail} | {target.Measured} | {target.Target} | {(target.Pass ? "PASS" : "MISS")} |");
        }

        return text.ToString();
    }

    /// <summary>Every figure with its median, range over trials and trial count.</summary>
    public string FigureTable()
    {
        var text = new StringBuilder();
        text.AppendLine("| Scenario | Median | Min | Max | Trials |");
        text.AppendLine("|---|---:|---:|---:|---:|");
        foreach (Figure figure in Figures)
        {
            string format = figure.Unit switch { "x" => "0.00", "ms" => "0.000", "MiB" => "0.00", _ => "N0" };
            text.AppendLine(Invariant,
                $"| {figure.Name} | {Format(figure.Median, format)}{Space(figure.Unit)} | {Format(figure.Min, format)} | {Format(figure.Max, format)} | {figure.Trials} |");
        }

        return text.ToString();
    }

    private static string Format(double value, string format) => value.ToString(format, Invariant);

    private static string Space(string unit) => unit.Length == 0 ? string.Empty : unit == "x" ? "x" : " " + unit;

    public sealed record Figure(string Name, string Unit, double Median, double Min, double Max, int Trials);

    public sealed record TargetCheck(string Name, string Measured, string Target, bool Pass, string Detail);
}
