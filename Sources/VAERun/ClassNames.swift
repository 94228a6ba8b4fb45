import Foundation

/// Names of the classes of the known data sets, for legends and row labels.
public enum ClassNames {
    /// Fashion-MNIST's ten classes, in label order (Xiao, Rasul & Vollgraf, 2017).
    public static let fashionMNIST = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// The class names for data read from `folder`: Fashion-MNIST's when the folder's path contains
    /// "fashion" (any case, e.g. `data/fashion-mnist` from `vae download` or Debian's
    /// `/usr/share/datasets/fashion-mnist`) and there are ten classes; otherwise the class numbers
    /// "0", "1", … (MNIST's digits, KMNIST's and any other set's labels).
    /// - Parameters:
    ///   - folder: the data folder, nil for data without one (the Swiss roll).
    ///   - classCount: labels run over 0..<classCount.
    public static func names(folder: URL?, classCount: Int) -> [String] {
        if classCount == fashionMNIST.count, let folder, folder.path.lowercased().contains("fashion") {
            return fashionMNIST
        }
        return (0..<classCount).map(String.init)
    }
}
