using System.Diagnostics;
using System.Globalization;

namespace SqlSync.Cli;

/// <summary>
/// Progress of long work on standard error, so standard output stays the result: on a terminal one line rewritten in
/// place (at most ten times a second), when redirected a whole line at each tenth of the work (a log keeps eleven
/// lines, not thousands), and nothing with <c>--quiet</c>.
/// </summary>
internal sealed class ProgressLine : IProgress<(long Done, long Total)>
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly string _label;
    private readonly string _unit;
    private readonly long _bytesPerUnit;
    private readonly TextWriter? _writer;
    private readonly bool _terminal;
    private readonly Stopwatch _sinceWritten = Stopwatch.StartNew();
    private int _tenthWritten = -1;
    private bool _finished;

    /// <param name="label">What is being done, e.g. the document's name and the command.</param>
    /// <param name="unit">What is counted ("pages", "entries").</param>
    /// <param name="bytesPerUnit">The bytes one unit holds, shown beside the count; 0 for none.</param>
    /// <param name="quiet">Write nothing.</param>
    public ProgressLine(string label, string unit, long bytesPerUnit, bool quiet)
        : this(label, unit, bytesPerUnit, quiet ? null : Console.Error, !Console.IsErrorRedirected)
    {
    }

    internal ProgressLine(string label, string unit, long bytesPerUnit, TextWriter? writer, bool terminal)
    {
        _label = label;
        _unit = unit;
        _bytesPerUnit = bytesPerUnit;
        _writer = writer;
        _terminal = terminal;
    }

    public void Report((long Done, long Total) value)
    {
        if (_writer is null || _finished)
        {
            return;
        }

        (long done, long total) = value;
        bool last = done >= total;
        if (_terminal)
        {
            if (!last && _sinceWritten.Elapsed < Interval)
            {
                return;
            }

            _sinceWritten.Restart();
            _writer.Write("\r" + Describe(done, total) + "\u001b[K" + (last ? Environment.NewLine : ""));
        }
        else
        {
            int tenth = total <= 0 ? 10 : (int)(Math.Min(done, total) * 10 / total);
            if (tenth == _tenthWritten && !last)
            {
                return;
            }

            _tenthWritten = tenth;
            _writer.WriteLine(Describe(done, total));
        }

        _writer.Flush();
        _finished = last;
    }

    private string Describe(long done, long total)
    {
        double percent = total <= 0 ? 100 : 100.0 * Math.Min(done, total) / total;
        string bytes = _bytesPerUnit <= 0 ? "" : string.Create(CultureInfo.InvariantCulture,
            $", {done * _bytesPerUnit / 1048576.0:N1} of {total * _bytesPerUnit / 1048576.0:N1} MiB");
        return string.Create(CultureInfo.InvariantCulture, $"{_label}: {done:N0} of {total:N0} {_unit}{bytes} ({percent:0}%)");
    }
}
