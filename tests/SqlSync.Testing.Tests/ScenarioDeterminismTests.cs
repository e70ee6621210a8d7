using System.Globalization;
using SqlSync.Testing.Tests.Samples;

namespace SqlSync.Testing.Tests;

/// <summary>A scenario's text depends only on the records and the reducer: not on the run, the culture or the time zone.</summary>
[Trait("Category", "Testing")]
public sealed class ScenarioDeterminismTests
{
    [Fact]
    public void The_same_scenario_gives_the_same_bytes_on_every_run()
    {
        string first = SampleScenario.Create().Render();
        string second = SampleScenario.Create().Render();

        Assert.Equal(first, second);
    }

    [Fact]
    public void The_text_matches_the_committed_snapshot()
    {
        // The committed file was written on another machine: the text is the same on every machine.
        SampleScenario.Create().Verify($"{nameof(ScenarioDeterminismTests)}.Sample");
    }

    [Theory]
    [InlineData("de-DE", "Europe/Berlin")]
    [InlineData("tr-TR", "Asia/Tokyo")]
    [InlineData("ar-SA", "America/St_Johns")]
    public void Culture_and_time_zone_change_nothing(string cultureName, string timeZone)
    {
        string expected = SampleScenario.Create().Render();
        CultureInfo culture = CultureInfo.CurrentCulture;
        CultureInfo uiCulture = CultureInfo.CurrentUICulture;
        string? tz = Environment.GetEnvironmentVariable("TZ");
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo(cultureName);
            CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(cultureName);
            Environment.SetEnvironmentVariable("TZ", timeZone);
            TimeZoneInfo.ClearCachedData();

            string actual = SampleScenario.Create().Render();

            Assert.Equal(expected, actual);
            Assert.Same(CultureInfo.GetCultureInfo(cultureName), CultureInfo.CurrentCulture); // the caller's culture is restored
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = uiCulture;
            Environment.SetEnvironmentVariable("TZ", tz);
            TimeZoneInfo.ClearCachedData();
        }
    }

    [Fact]
    public void The_clock_can_be_moved_and_moves_only_the_times()
    {
        string text = SampleScenario.Create().StartingAt(new DateTimeOffset(2030, 6, 1, 12, 0, 0, TimeSpan.FromHours(2)), TimeSpan.FromMinutes(1)).Render();

        Assert.Contains("lsn 0 at 2030-06-01T10:00:00.000Z: CreateSchemaMutation {}", text, StringComparison.Ordinal);
        Assert.Contains("lsn 2 at 2030-06-01T10:02:00.000Z", text, StringComparison.Ordinal);
        Assert.Contains("'2030-06-01 10:01:00.0000000'", text, StringComparison.Ordinal);
    }
}
