using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace SqlSync.Generators.Helpers;

/// <summary>
/// A <see cref="Location"/> as plain data (file, span, line span), so a diagnostic found by the parser
/// can be cached in the pipeline and turned back into a location when it is reported.
/// </summary>
internal sealed record LocationInfo(string FilePath, TextSpan TextSpan, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, TextSpan, LineSpan);

    public static LocationInfo? From(Location? location)
    {
        if (location is null || location.SourceTree is null)
        {
            return null;
        }

        return new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
    }

    public static LocationInfo? From(ISymbol symbol) =>
        symbol.Locations.Length > 0 ? From(symbol.Locations[0]) : null;
}
