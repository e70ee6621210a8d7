using System.Diagnostics;
using System.Text;

namespace SqlSync.FirstHour.Tests;

/// <summary>Runs the dotnet CLI as a user would: a fresh command line, nothing of this test host's MSBuild or test settings.</summary>
internal static class Dotnet
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(8);

    public static ProcessStartInfo StartInfo(string directory, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (string name in start.Environment.Keys.ToList())
        {
            if (name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) ||
                name.StartsWith("SQLSYNC_", StringComparison.Ordinal) || name.StartsWith("ASPNETCORE_", StringComparison.Ordinal))
            {
                start.Environment.Remove(name);
            }
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return start;
    }

    /// <summary>Runs <c>dotnet ARGS</c> in <paramref name="directory"/>; fails the test with the output's tail unless it exits 0.</summary>
    public static string Run(string directory, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        bool builds = arguments[0] is "build" or "pack" or "test" or "restore";
        // No MSBuild node stays behind; the compiler server may (a cold csc per project costs more than the rest of a small build).
        using var process = Process.Start(StartInfo(directory, builds ? [.. arguments, "-nodeReuse:false"] : arguments, environment))!;
        process.StandardInput.Close();
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(CommandTimeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet {string.Join(' ', arguments)} did not finish in {CommandTimeout}.\n{Tail(Text(output))}");
        }

        process.WaitForExit();
        string text = Text(output);
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} (in {directory}) exited with {process.ExitCode}.\n{Tail(text)}");
        return text;
    }

    public static string Run(string directory, params string[] arguments) => Run(directory, null, arguments);

    public static string Tail(string text) => text.Length <= 8000 ? text : text[^8000..];

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.Append(line).Append('\n');
            }
        }
    }
}
