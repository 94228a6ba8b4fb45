import ArgumentParser
import Foundation
import MNISTData

/// The data sets `vae download` can fetch.
enum DownloadDatasetOption: String, ExpressibleByArgument, CaseIterable {
    case mnist
    case fashionMNIST = "fashion-mnist"
    case kmnist

    /// The library's description of the data set (files, checksums, mirrors).
    var dataset: DownloadableDataset {
        switch self {
        case .mnist: return .mnist
        case .fashionMNIST: return .fashionMNIST
        case .kmnist: return .kmnist
        }
    }
}

/// `vae download`: fetches MNIST, Fashion-MNIST or KMNIST into a folder in the standard layout.
struct Download: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download MNIST, Fashion-MNIST or KMNIST into a data folder.",
        discussion: """
            Fetches the four standard files (train/t10k images and labels, gzip-compressed) from the \
            data set's public mirror, trying a fallback mirror when one fails, and checks each file \
            against its published MD5 checksum before keeping it. Files already present with the \
            right checksum are skipped, so the command can be rerun safely. The folder is created only \
            once a file has been verified, and a mirror that sends nothing for \(Int(Downloader.defaultTimeout)) seconds counts as \
            failed, so an offline machine gets its error at once and no empty folder.

            MNIST lands in data/mnist by default, which `vae` uses automatically when run from the \
            same directory; for other folders pass them to training with --data DIR.

            Set \(Downloader.baseURLEnvironmentKey) to fetch from another mirror (a base URL the \
            file names are appended to).
            """)

    @Option(help: "Which data set to download.")
    var dataset: DownloadDatasetOption = .mnist

    @Option(help: ArgumentHelp("Folder to download into (default: data/<dataset>, e.g. data/mnist).", valueName: "DIR"))
    var dir: String?

    func run() throws {
        let dataset = self.dataset.dataset
        let folderPath = dir ?? dataset.defaultFolder
        var baseURL: URL? = nil
        if let override = ProcessInfo.processInfo.environment[Downloader.baseURLEnvironmentKey], !override.isEmpty {
            guard let url = URL(string: override), url.scheme == "http" || url.scheme == "https" else {
                throw CommandError("\(Downloader.baseURLEnvironmentKey)=\(override) is not an http(s) URL.")
            }
            baseURL = url
        }
        let source = baseURL?.absoluteString ?? dataset.mirrors.first?.absoluteString ?? "its mirror"
        say("Downloading \(dataset.displayName) into \(folderPath) from \(source)")
        let folder = URL(fileURLWithPath: folderPath, isDirectory: true)
        let report = try Downloader(dataset: dataset, baseURL: baseURL).download(into: folder)
        let data = try MNISTDataset(folder: folder, options: .init(requireLabels: true))
        say("\(dataset.displayName) ready in \(folderPath): \(data.summary) "
              + "(\(report.downloaded.count) downloaded, \(report.skipped.count) already present).")
        if folderPath != DataLocation.localFolderPath {
            say("Use it with --data \(folderPath)")
        }
    }
}
