import Foundation
import ReconcileCore
import ReconcileJSON
import Testing

/// The version is set in one place (`ReconcileVersion.current`); the changelog must have a dated
/// section for it, and documents from a newer major version are refused.
@Suite struct VersionTests {
    static let changelog = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CHANGELOG.md")

    /// `## [0.1.0] - 2026-12-06` headings, newest first, as Keep a Changelog writes them.
    static func releasedVersions() throws -> [(version: String, date: String)] {
        let text = try String(contentsOf: changelog, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("## ["), let close = line.firstIndex(of: "]") else { return nil }
            let version = String(line[line.index(line.startIndex, offsetBy: 4)..<close])
            guard version != "Unreleased" else { return nil }
            let rest = line[line.index(after: close)...]
            guard rest.hasPrefix(" - ") else { return (version, "") }
            return (version, String(rest.dropFirst(3)))
        }
    }

    @Test func theVersionIsTheChangelogsNewestDatedSection() throws {
        #expect(ReconcileVersion.major(of: ReconcileVersion.current) != nil, "not MAJOR.MINOR.PATCH: \(ReconcileVersion.current)")
        let released = try Self.releasedVersions()
        let newest = try #require(released.first, "CHANGELOG.md has no `## [VERSION] - YYYY-MM-DD` section")
        #expect(newest.version == ReconcileVersion.current,
                "CHANGELOG.md's newest section is \(newest.version); ReconcileVersion.current is \(ReconcileVersion.current)")
        for entry in released {
            let date = entry.date.split(separator: "-")
            #expect(date.count == 3 && date.map(\.count) == [4, 2, 2] && date.allSatisfy { $0.allSatisfy(\.isNumber) },
                    "section \(entry.version) is not dated YYYY-MM-DD: \"\(entry.date)\"")
        }
        #expect(Set(released.map(\.version)).count == released.count, "a version has two sections")
    }

    @Test func majorVersions() {
        #expect(ReconcileVersion.major(of: "0.1.0") == 0)
        #expect(ReconcileVersion.major(of: "12.3.4-rc.1+build.5") == 12)
        for notAVersion in ["", "snapshot", "t", "1", "1.2", "1.2.3.4", "1..3", "v1.2.3", "-1.2.3", "1.2.x", "１.2.3", "9999999999.0.0"] {
            #expect(ReconcileVersion.major(of: notAVersion) == nil, "\(notAVersion)")
        }
    }

    @Test func aNewerMajorVersionIsRefusedAndNothingElse() throws {
        #expect(ReconcileVersion.refusal(of: "plan", writtenBy: "0.9.3", current: "0.1.0") == nil)
        #expect(ReconcileVersion.refusal(of: "plan", writtenBy: "1.9.0", current: "2.0.0") == nil)
        #expect(ReconcileVersion.refusal(of: "plan", writtenBy: "snapshot", current: "2.0.0") == nil)
        #expect(ReconcileVersion.refusal(of: "plan", writtenBy: nil, current: "2.0.0") == nil)
        let refusal = try #require(ReconcileVersion.refusal(of: "plan", writtenBy: "3.0.0-beta", current: "2.4.1"))
        #expect(refusal == "it was written by reconcile 3.0.0-beta, a newer major version than this reconcile (2.4.1); "
            + "make the plan again with reconcile 2.x, or install reconcile 3.x here")
    }

    static func newerMajor() throws -> String {
        let major = try #require(ReconcileVersion.major(of: ReconcileVersion.current))
        return "\(major + 1).0.0"
    }

    @Test func aPlanFromANewerMajorVersionIsRefusedBeforeItsFormatIsRead() throws {
        let newer = try Self.newerMajor()
        // Format version 2 too: the version is the better reason, and it is given first.
        let document = #"{"formatVersion": 2, "reconcileVersion": "\#(newer)", "changes": "whatever"}"#
        #expect {
            _ = try Plan.load(from: Data(document.utf8), path: "p.json")
        } throws: { error in
            "\(error)".hasPrefix("p.json: cannot read plan: it was written by reconcile \(newer), a newer major version")
        }
    }

    @Test func factsRecordTheirVersionAndANewerMajorIsRefused() throws {
        let facts = FactsDocument(host: "h", root: "/", probedAt: Date(timeIntervalSince1970: 0), resources: [:])
        #expect(facts.reconcileVersion == ReconcileVersion.current)
        let saved = try CanonicalJSON.encode(facts, pretty: false)
        #expect(try FactsDocument.load(from: saved, path: "f.json") == facts)
        let old = #"{"formatVersion":1,"host":"h","root":"/","probedAt":"2026-01-01T00:00:00Z","resources":{}}"#
        #expect(try FactsDocument.load(from: Data(old.utf8), path: "f.json").reconcileVersion == nil)
        let newer = try Self.newerMajor()
        let document = #"{"formatVersion":1,"reconcileVersion":"\#(newer)","host":"h","root":"/","probedAt":"2026-01-01T00:00:00Z","resources":{}}"#
        #expect {
            _ = try FactsDocument.load(from: Data(document.utf8), path: "f.json")
        } throws: { error in
            "\(error)" == "f.json: cannot read facts: it was written by reconcile \(newer), a newer major version than this "
                + "reconcile (\(ReconcileVersion.current)); make the facts again with reconcile 0.x, or install reconcile \(newer.prefix { $0 != "." }).x here"
        }
    }
}
