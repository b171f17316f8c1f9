#pragma once

#include "core/domain/domain.h"
#include "ui/page.h"
#include "ui/widgets/listmodel.h"

class QLabel;
class QLineEdit;
class QTableView;

namespace tollgate {

class EditDialog;

// The models clients may ask for (provider, upstream name, tier, prices per million tokens, limits, approval), the
// aliases and patterns that serve other ids as one of them (with a field that says which model an id gets), and the
// providers they go to. A provider's secret is typed in and never shown back.
class CatalogPage final : public Page
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CatalogPage)

public:
    explicit CatalogPage(Console& console, QWidget* parent = nullptr);
    void reload() override;
    // The model editor: every billed component, set ones with their price, the others with the default they follow.
    EditDialog* modelDialog(const std::optional<ModelInfo>& model);

private:
    void editModel(std::optional<ModelInfo> model);
    void importPrices();
    void exportPrices();
    void editProvider(std::optional<Provider> provider);
    void editAlias(std::optional<ModelAlias> alias);
    void removeAlias();
    void resolveTyped();
    std::optional<ModelAlias> selectedAlias() const;
    void removeModel();
    void removeProvider();
    void rotateSecretKey();
    static QString secretPlace(const Provider& p); // where its secret is kept
    std::optional<ModelInfo> selectedModel() const;
    std::optional<Provider> selectedProvider() const;

    ListModel<ModelInfo>* m_models = nullptr;
    ListModel<Provider>* m_providers = nullptr;
    ListModel<ModelAlias>* m_aliases = nullptr;
    QTableView* m_aliasTable = nullptr;
    QLineEdit* m_probe = nullptr;
    QLabel* m_probeResult = nullptr;
    QTableView* m_modelTable = nullptr;
    QTableView* m_providerTable = nullptr;
    QLabel* m_secretsHelp = nullptr;
};

} // namespace tollgate
