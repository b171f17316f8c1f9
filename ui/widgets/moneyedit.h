#pragma once

#include "core/domain/domain.h"

#include <QCoreApplication>
#include <QWidget>

class QLabel;
class QLineEdit;

namespace tollgate {

// A line edit for a dollar amount with, beside it, what will be saved ("= $1.250,00") or why the text cannot be read;
// the field is marked while it cannot.
class MoneyEdit final : public QWidget
{
    Q_OBJECT

public:
    MoneyEdit(const QString& field, std::optional<Money> value, QWidget* parent = nullptr);

    QLineEdit* lineEdit() const { return m_edit; }
    QLabel* preview() const { return m_preview; }
    Result<std::optional<Money>> value() const;
    void setPlaceholderText(const QString& text);

private:
    void update();

    QString m_field;
    QLineEdit* m_edit = nullptr;
    QLabel* m_preview = nullptr;
};

} // namespace tollgate
