using System.Globalization;

namespace SqlSync.Storage;

/// <summary>How .NET date values are written into SQL: text that SQLite's date functions read.</summary>
internal static class SqlValueFormat
{
    /// <summary>
    /// <c>yyyy-MM-dd HH:mm:ss.fffffff</c> of the value's own ticks, whatever its kind. Converting a local
    /// time to UTC would depend on the time zone of the machine that replays the mutation, so it is not
    /// done: pass UTC values (or <see cref="DateTimeOffset"/>, which is converted exactly).
    /// </summary>
    public static string Format(DateTime value) =>
        value.ToString("yyyy-MM-dd HH:mm:ss.fffffff", CultureInfo.InvariantCulture);
}
